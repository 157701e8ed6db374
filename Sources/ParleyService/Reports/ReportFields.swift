/// The input fields of `POST /report/save`, with the names their validation texts use.
enum ReportFields {
    static let reportedID = Field("reported_id", chinese: "被举报人ID", english: "reported id")
    static let reportedType = Field("reported_type", chinese: "举报类型", english: "reported type")
    static let content = Field("content", chinese: "举报内容", english: "content")
    static let category = Field("category", chinese: "举报分类", english: "category")

    static let reportedTypes: [ReportedType] = [.user, .group]
    static let contentLength = 1...500
    static let categoryLength = 1...10
}
