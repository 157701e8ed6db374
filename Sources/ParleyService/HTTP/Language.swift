import HTTPTypes
import Hummingbird

/// The language of the texts a person reads in an answer.
///
/// Chinese unless the client asks for English explicitly, with `?lang=en` or an
/// `X-Parley-Language: en` header (docs/api.md §1). `Accept-Language` is ignored on purpose: iOS and
/// browsers send `en-US` by themselves, and the old client compares Chinese texts (`Token 令牌不合法!`
/// signs a person out), so negotiating on it broke that client.
public enum Language: Sendable {
    case chinese
    case english

    /// `en`, `en-US`, `en_GB`… are English; anything else, or nothing, Chinese.
    init(tag: String?) {
        let primary = tag?.trimmingCharacters(in: .whitespaces).lowercased()
            .split(whereSeparator: { $0 == "-" || $0 == "_" }).first
        self = primary == "en" ? .english : .chinese
    }

    /// The query's `lang` wins over the header.
    init(request: Request) {
        self.init(tag: request.uri.queryParameters.get("lang") ?? request.headers[.parleyLanguage])
    }
}

extension HTTPField.Name {
    static let parleyLanguage = Self("X-Parley-Language")!
}
