import Foundation
import Hummingbird

/// `GET /openapi.json` (no auth): the OpenAPI 3.1 document of every HTTP route, as kept in the
/// repository (`openapi.json` beside this file, shipped in the module's resource bundle).
/// `APIDocumentTests` fails when a served route is missing from it or a documented one is not served.
struct APIDocumentController: Sendable {
    let document: ByteBuffer

    /// Reads the document once, at start: a node built without its resource bundle refuses to start
    /// rather than answer 404 here.
    init() throws {
        document = ByteBuffer(data: try Data(contentsOf: try Self.resource("openapi")))
    }

    static func resource(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(name).json in the ParleyService resource bundle"])
        }
        return url
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("openapi.json") { [document] _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: document))
        }
    }
}
