import Foundation

/// The bucket `PARLEY_MEDIA_URL` names: `s3://bucket[/prefix]?endpoint=…&region=…`.
///
/// With `endpoint` (MinIO, moto, Ceph, R2…) objects are addressed path-style,
/// `<endpoint>/<bucket>/<key>`; without it, AWS's virtual-hosted
/// `https://<bucket>.s3.<region>.amazonaws.com/<key>`. Credentials come from the query's
/// `access_key_id` and `secret_access_key`, else from `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`.
struct S3Location: Sendable, Equatable {
    let bucket: String
    /// Put before every key: `""`, or the URL's path with a trailing `/` (`parley/`).
    let keyPrefix: String
    let region: String
    /// `http` or `https`.
    let scheme: String
    /// The `Host` header: `host`, or `host:port` for a port other than the scheme's.
    let host: String
    /// `/<bucket>` path-style, `""` virtual-hosted.
    let bucketPath: String
    let credentials: SignatureV4.Credentials

    /// Why a media URL was refused, for ``ConfigurationError``.
    struct Invalid: Error {
        let reason: String
    }

    init(url: String, accessKeyID: String?, secretAccessKey: String?) throws(Invalid) {
        guard let components = URLComponents(string: url), components.scheme == "s3",
            let bucket = components.host, !bucket.isEmpty
        else {
            // Not the URL itself: it may carry the secret key.
            throw Invalid(reason: "expected s3://bucket?endpoint=…&region=…")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { $1 }
        self.bucket = bucket
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        keyPrefix = path.isEmpty ? "" : path + "/"
        region = query["region"].flatMap { $0.isEmpty ? nil : $0 } ?? "us-east-1"
        if let endpoint = query["endpoint"] {
            guard let endpoint = URLComponents(string: endpoint), let scheme = endpoint.scheme, ["http", "https"].contains(scheme),
                let host = endpoint.host, !host.isEmpty
            else { throw Invalid(reason: "endpoint must be an http:// or https:// URL, got \(endpoint)") }
            self.scheme = scheme
            self.host = endpoint.port.map { "\(host):\($0)" } ?? host
            bucketPath = "/\(bucket)"
        } else {
            scheme = "https"
            host = "\(bucket).s3.\(region).amazonaws.com"
            bucketPath = ""
        }
        guard let accessKeyID = query["access_key_id"] ?? accessKeyID, !accessKeyID.isEmpty,
            let secretAccessKey = query["secret_access_key"] ?? secretAccessKey, !secretAccessKey.isEmpty
        else {
            throw Invalid(reason: "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or access_key_id and secret_access_key in the URL")
        }
        credentials = SignatureV4.Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey)
    }

    /// The path of `key` (not encoded yet): `/<bucket>/<prefix><key>` or `/<prefix><key>`.
    func path(of key: String) -> String {
        "\(bucketPath)/\(keyPrefix)\(key)"
    }

    /// The URL of `path` with an encoded `query`.
    func url(path: String, query: String) -> String {
        "\(scheme)://\(host)\(SignatureV4.encode(path: path))\(query.isEmpty ? "" : "?" + query)"
    }
}
