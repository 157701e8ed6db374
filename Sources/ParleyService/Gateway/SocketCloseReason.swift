/// Why the server closes a signed-in (or signing-in) socket, with the `fail` frame and close code
/// of API.md §5.
enum SocketCloseReason: String, Sendable, Equatable, CaseIterable {
    case unauthenticated
    case tokenInvalid = "token_invalid"
    case tokenExpired = "token_expired"
    case userNotFound = "user_not_found"
    case userDisabled = "user_disabled"
    /// Another connection of the same account took over.
    case kicked
    case loggedOut = "logged_out"

    /// The `data` of the `fail` frame.
    var text: String {
        switch self {
        case .unauthenticated: "您没有权限访问该接口!"
        case .tokenInvalid: "Token 令牌不合法!"
        case .tokenExpired: "token 已过期! 请重新获取令牌"
        case .userNotFound: "用户不存在"
        case .userDisabled: "你已被禁用"
        case .kicked: "你的账号在其他设备登录"
        case .loggedOut: "你已退出登录"
        }
    }

    /// The `code` of the `fail` frame.
    var code: String { rawValue }

    var closeCode: UInt16 {
        switch self {
        case .unauthenticated, .tokenInvalid, .tokenExpired: 4401
        case .userNotFound: 4404
        case .userDisabled: 4403
        case .kicked: 4409
        case .loggedOut: 4410
        }
    }
}
