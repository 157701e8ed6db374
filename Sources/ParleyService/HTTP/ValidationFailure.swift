/// The first rule an input broke, rendered with the old backend's templates (API.md §1).
enum ValidationFailure: Sendable, Equatable {
    /// Missing, `null` or an empty string.
    case required(Field)
    /// The value is not of the expected type (`int`, `string`, …).
    case wrongType(Field, value: String, type: String)
    /// The value is not one of the allowed ones.
    case notInList(Field, value: String, allowed: [String])
    /// A length outside the field's bounds (characters, or bytes for passwords).
    case length(Field, min: Int, max: Int)
    /// Two fields that must be equal are not.
    case notEqual(Field, Field)
    /// Too many items in a list.
    case tooMany(Field, max: Int)
    /// White space or control characters where none are allowed.
    case invisibleCharacters(Field)
    /// A NUL character (U+0000) anywhere in the value: no text field may hold one.
    case nulCharacter(Field)
    /// A number outside its bounds (`max` is `nil` for "at least `min`"), such as a page number.
    case outOfRange(Field, value: String, min: Int, max: Int?)
    /// Not the URL of an image uploaded with `POST /upload` (an avatar).
    case notUploadedImage(Field, value: String)

    func text(in language: Language) -> String {
        switch language {
        case .chinese: chinese
        case .english: english
        }
    }

    private var chinese: String {
        switch self {
        case .required(let field):
            "\(field.chinese)不能为空"
        case .wrongType(let field, let value, let type):
            "\(field.chinese) 的值 `\(value)` 的类型不是 `\(type)`"
        case .notInList(let field, let value, let allowed):
            "\(field.chinese) 的值 `\(value)` 必须在 [\(allowed.map { "`\($0)`" }.joined(separator: "、"))] 中"
        case .length(let field, let min, let max):
            "\(field.chinese) 的长度 必须 在 \(min) 和 \(max) 之间"
        case .notEqual(let first, let second):
            "[`\(first.chinese)`、`\(second.chinese)`] 参数必须是相等的"
        case .tooMany(let field, let max):
            "\(field.chinese) 最多 \(max) 个"
        case .invisibleCharacters(let field):
            "\(field.chinese) 不能包含空白或控制字符"
        case .nulCharacter(let field):
            "\(field.chinese) 不能包含空字符"
        case .outOfRange(let field, let value, let min, let max?):
            "\(field.chinese) 的值 `\(value)` 必须 在 \(min) 和 \(max) 之间"
        case .outOfRange(let field, let value, let min, nil):
            "\(field.chinese) 的值 `\(value)` 必须 大于等于 \(min)"
        case .notUploadedImage(let field, let value):
            "\(field.chinese) 的值 `\(value)` 不是上传的图片"
        }
    }

    private var english: String {
        switch self {
        case .required(let field):
            "\(field.english) is required"
        case .wrongType(let field, let value, let type):
            "\(field.english) value `\(value)` is not of type `\(type)`"
        case .notInList(let field, let value, let allowed):
            "\(field.english) value `\(value)` must be one of [\(allowed.map { "`\($0)`" }.joined(separator: ", "))]"
        case .length(let field, let min, let max):
            "\(field.english) must be between \(min) and \(max) long"
        case .notEqual(let first, let second):
            "[`\(first.english)`, `\(second.english)`] must be equal"
        case .tooMany(let field, let max):
            "\(field.english) allows at most \(max) items"
        case .invisibleCharacters(let field):
            "\(field.english) must not contain white space or control characters"
        case .nulCharacter(let field):
            "\(field.english) must not contain NUL characters"
        case .outOfRange(let field, let value, let min, let max?):
            "\(field.english) value `\(value)` must be between \(min) and \(max)"
        case .outOfRange(let field, let value, let min, nil):
            "\(field.english) value `\(value)` must be at least \(min)"
        case .notUploadedImage(let field, let value):
            "\(field.english) value `\(value)` is not an uploaded image"
        }
    }
}

extension Field: Equatable {
    static func == (lhs: Field, rhs: Field) -> Bool { lhs.key == rhs.key }
}
