import Foundation
import NIOCore

/// The cluster dashboard served at `GET /admin/` (API.md §6, docs/api.md §9): one self-contained
/// page, `dashboard.html` beside this file, with inline CSS, vanilla JavaScript and SVG charts drawn
/// by the page; no external URL.
///
/// The page ships as a SwiftPM resource (`Bundle.module`): the `parley_ParleyService.resources`
/// folder next to the binary (`.build/debug`, `.build/release`, `/usr/local/bin` in the image).
/// It is read once, when the admin routes are built, so a binary without its bundle fails at start
/// rather than on an operator's first visit.
///
/// The page itself carries no data. It asks for the admin token (or takes it from the URL fragment,
/// `/admin/#token=…[&user=42]`, which never reaches a server), keeps it in `sessionStorage`, and reads
/// the admin JSON routes with it, relative to `/admin/`.
enum DashboardPage {
    /// What the page may load and where it may connect: itself only.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
        + "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page's bytes, from the resource bundle.
    static func load() throws -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: "dashboard", withExtension: "html") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "dashboard.html in \(Bundle.module.bundlePath)"])
        }
        return ByteBuffer(bytes: try Data(contentsOf: url))
    }
}
