import Hummingbird

/// The one catalogue of user-facing texts: the failures' (``ErrorCode``) and the success sentences
/// (``SuccessText``), in Chinese and English. The Chinese texts are part of the contract (API.md):
/// the client compares some of them, so change none without changing API.md.
extension ErrorCode {
    /// The sentence shown to the person.
    func text(in language: Language) -> String {
        switch (self, language) {
        case (.validation(let failure), _): failure.text(in: language)
        case (.badRequest, .chinese): "请求不合法"
        case (.badRequest, .english): "Bad request"
        case (.malformedBody, .chinese): "请求体不是合法的 JSON 或表单"
        case (.malformedBody, .english): "The request body is not valid JSON or form data"
        case (.unsupportedContentType, .chinese): "请求体格式必须是 JSON 或表单"
        case (.unsupportedContentType, .english): "The request body must be JSON or form data"
        case (.loginFailed, .chinese): "用户不存在或已被禁用"
        case (.loginFailed, .english): "The user does not exist or is disabled"
        case (.wrongPassword, .chinese): "密码错误"
        case (.wrongPassword, .english): "Wrong password"
        case (.cannotAddSelf, .chinese): "不能添加自己"
        case (.cannotAddSelf, .english): "You cannot add yourself"
        case (.cannotReportSelf, .chinese): "不能举报自己"
        case (.cannotReportSelf, .english): "You cannot report yourself"
        case (.notFriend, .chinese): "对方不存在或者已经把你拉黑"
        case (.notFriend, .english): "The recipient does not exist or has blacklisted you"
        case (.recipientDisabled, .chinese): "对方已被禁用"
        case (.recipientDisabled, .english): "The recipient is disabled"
        case (.recallExpired, .chinese): "消息发送已超过2分钟，无法撤回"
        case (.recallExpired, .english): "Messages can be recalled within 2 minutes only"
        case (.noFile, .chinese): "请选择要上传的文件"
        case (.noFile, .english): "Choose a file to upload"
        case (.fileTooLarge(.image), .chinese): "图片不能超过 \(MediaKind.image.sizeLimitInMB) MB"
        case (.fileTooLarge(.image), .english): "Images may be \(MediaKind.image.sizeLimitInMB) MB at most"
        case (.fileTooLarge(.audio), .chinese): "音频不能超过 \(MediaKind.audio.sizeLimitInMB) MB"
        case (.fileTooLarge(.audio), .english): "Audio files may be \(MediaKind.audio.sizeLimitInMB) MB at most"
        case (.fileTooLarge(.video), .chinese): "视频不能超过 \(MediaKind.video.sizeLimitInMB) MB"
        case (.fileTooLarge(.video), .english): "Videos may be \(MediaKind.video.sizeLimitInMB) MB at most"
        case (.unsupportedMedia, .chinese): "只能上传图片、音频或视频"
        case (.unsupportedMedia, .english): "Only images, audio and video can be uploaded"
        case (.mediaTypeMismatch, .chinese): "文件内容与类型不符"
        case (.mediaTypeMismatch, .english): "The file's content does not match its type"
        case (.imageTooLarge, .chinese): "图片尺寸不能超过 \(ImageLimits.maximumSide)×\(ImageLimits.maximumSide)"
        case (.imageTooLarge, .english): "Images may be \(ImageLimits.maximumSide)×\(ImageLimits.maximumSide) pixels at most"
        case (.forbidden, .chinese): "只能撤回自己的消息"
        case (.forbidden, .english): "You can recall only your own messages"
        case (.unauthenticated, .chinese): "您没有权限访问该接口!"
        case (.unauthenticated, .english): "You are not allowed to access this route!"
        case (.tokenInvalid, .chinese): "Token 令牌不合法!"
        case (.tokenInvalid, .english): "The token is invalid!"
        case (.tokenExpired, .chinese): "token 已过期! 请重新获取令牌"
        case (.tokenExpired, .english): "The token has expired! Please sign in again"
        case (.userDisabled, .chinese): "用户不存在或已被禁用"
        case (.userDisabled, .english): "The user does not exist or is disabled"
        case (.routeNotFound, .chinese): "接口不存在"
        case (.routeNotFound, .english): "No such route"
        case (.notFound, .chinese): "该记录不存在"
        case (.notFound, .english): "The record does not exist"
        case (.userNotFound, .chinese): "用户不存在"
        case (.userNotFound, .english): "The user does not exist"
        case (.applyTargetNotFound, .chinese): "该用户不存在或者已被禁用"
        case (.applyTargetNotFound, .english): "The user does not exist or is disabled"
        case (.reportedNotFound, .chinese): "被举报人不存在"
        case (.reportedNotFound, .english): "The reported user or group does not exist"
        case (.usernameTaken, .chinese): "用户名已存在"
        case (.usernameTaken, .english): "The username is already taken"
        case (.alreadyFriends, .chinese): "对方已经是你的好友"
        case (.alreadyFriends, .english): "They are already your friend"
        case (.applyExists, .chinese): "你之前已经申请过了"
        case (.applyExists, .english): "You have already sent them a friend request"
        case (.reportExists, .chinese): "请勿反复提交"
        case (.reportExists, .english): "Please do not submit the same report again"
        case (.payloadTooLarge, .chinese): "请求体过大"
        case (.payloadTooLarge, .english): "The request body is too large"
        case (.rateLimited, .chinese): "尝试次数过多，请稍后再试"
        case (.rateLimited, .english): "Too many attempts, please try again later"
        case (.internalError, .chinese): "服务器内部错误"
        case (.internalError, .english): "Internal server error"
        case (.unavailable, .chinese): "服务暂时不可用，请稍后再试"
        case (.unavailable, .english): "The service is temporarily unavailable, please try again later"
        }
    }
}

/// The texts of successful answers whose `data` is a sentence.
enum SuccessText: Sendable {
    /// `POST /logout`.
    case loggedOut
    /// A change was applied (`POST /apply/handle/:id`).
    case done
    /// A setting was changed (`POST /friend/set…`).
    case ok

    func text(in language: Language) -> String {
        switch (self, language) {
        case (.loggedOut, .chinese): "退出成功"
        case (.loggedOut, .english): "Signed out"
        case (.done, .chinese): "操作成功"
        case (.done, .english): "Done"
        case (.ok, _): "ok"
        }
    }
}
