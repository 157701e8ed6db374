import Foundation

/// The input fields of the account routes, with the names their validation texts use.
enum AccountFields {
    static let username = Field("username", chinese: "用户名", english: "username")
    static let password = Field("password", chinese: "密码", english: "password")
    static let repassword = Field("repassword", chinese: "确认密码", english: "password confirmation")
    static let keyword = Field("keyword", chinese: "关键词", english: "keyword")

    static let usernameLength = 5...20
    /// In bytes: bcrypt reads no more than 72.
    static let passwordBytes = 6...72
    static let keywordLength = 1...50
}

extension RequestFields {
    /// A username as stored: Unicode NFC, so that look-alike spellings are one name.
    func username() throws -> String {
        let field = AccountFields.username
        let username = try string(field, length: 0...Int.max).precomposedStringWithCanonicalMapping
        guard AccountFields.usernameLength.contains(username.unicodeScalars.count) else {
            let bounds = AccountFields.usernameLength
            throw ParleyError.validation(.length(field, min: bounds.lowerBound, max: bounds.upperBound))
        }
        guard !username.unicodeScalars.contains(where: Self.isInvisible) else {
            throw ParleyError.validation(.invisibleCharacters(field))
        }
        return username
    }

    /// A new password: 6–72 bytes of UTF-8.
    func newPassword() throws -> String {
        let password = try string(AccountFields.password, length: 0...Int.max)
        let bounds = AccountFields.passwordBytes
        guard bounds.contains(password.utf8.count) else {
            throw ParleyError.validation(.length(AccountFields.password, min: bounds.lowerBound, max: bounds.upperBound))
        }
        return password
    }

    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
            || scalar.properties.generalCategory == .format
    }
}
