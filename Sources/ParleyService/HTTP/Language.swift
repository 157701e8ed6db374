import Hummingbird

/// The language of the texts a person reads in an answer.
///
/// Chinese is the default because the client was written for it; `Accept-Language: en` (as the
/// first preference) switches every text to English.
public enum Language: Sendable {
    case chinese
    case english

    init(acceptLanguage: String?) {
        let first = acceptLanguage?
            .split(separator: ",").first?
            .split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces)
            .lowercased()
        if let first, first == "en" || first.hasPrefix("en-") {
            self = .english
        } else {
            self = .chinese
        }
    }

    init(request: Request) {
        self.init(acceptLanguage: request.headers[.acceptLanguage])
    }
}
