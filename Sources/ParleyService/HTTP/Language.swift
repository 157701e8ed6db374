import HTTPTypes
import Hummingbird

/// The language of the texts a person reads in an answer.
///
/// Chinese unless the client asks for English (docs/api.md §1): `?lang=en` or an
/// `X-Parley-Language: en` header always do; `Accept-Language: en` does too under the default
/// ``LanguageNegotiation/acceptLanguage`` (API.md §1).
enum Language: Sendable {
    case chinese
    case english

    /// `en`, `en-US`, `en_GB`… are English; anything else, or nothing, Chinese.
    init(tag: Substring?) {
        let primary = tag?.trimmingCharacters(in: .whitespaces).lowercased()
            .split(whereSeparator: { $0 == "-" || $0 == "_" }).first
        self = primary == "en" ? .english : .chinese
    }

    /// The query's `lang` wins over `X-Parley-Language`, which wins over `Accept-Language` (its first
    /// preference, and only when `negotiation` reads it).
    init(request: Request, negotiation: LanguageNegotiation) {
        let explicit = request.uri.queryParameters.get("lang") ?? request.headers[.parleyLanguage]
        if let explicit {
            self.init(tag: Substring(explicit))
        } else if negotiation == .acceptLanguage, let accepted = request.headers[.acceptLanguage] {
            self.init(tag: accepted.split(separator: ",").first?.split(separator: ";").first)
        } else {
            self = .chinese
        }
    }
}

/// Whether `Accept-Language` chooses the language (`PARLEY_LANGUAGE_NEGOTIATION`).
enum LanguageNegotiation: String, Sendable, CaseIterable {
    /// API.md §1: `Accept-Language: en` answers in English.
    case acceptLanguage = "accept-language"
    /// Only `?lang` and `X-Parley-Language` switch. For operators of the old uni-app client: iOS
    /// sends `Accept-Language: en-US` by itself, and that client compares the Chinese texts
    /// (`Token 令牌不合法!` signs a person out), so negotiating on it breaks that client there.
    case explicit
}

extension HTTPField.Name {
    static let parleyLanguage = Self("X-Parley-Language")!
}
