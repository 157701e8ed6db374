/// A named input field: its key in the request and its names in each language, as used by the
/// validation texts (`用户名不能为空`, `username is required`).
struct Field: Sendable {
    let key: String
    let chinese: String
    let english: String

    init(_ key: String, chinese: String, english: String) {
        self.key = key
        self.chinese = chinese
        self.english = english
    }

    func name(in language: Language) -> String {
        switch language {
        case .chinese: chinese
        case .english: english
        }
    }
}
