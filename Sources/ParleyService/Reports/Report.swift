import Foundation

/// What a report is about.
enum ReportedType: String, Sendable, Encodable {
    case user
    case group
}

/// An abuse report (API.md §3).
struct Report: Encodable, Sendable, Equatable {
    let id: Int
    /// The reporter.
    let userID: Int
    let reportedID: Int
    let reportedType: ReportedType
    let content: String
    let category: String
    /// `pending` until someone handles it (`handled` or `rejected`).
    let status: String
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, content, category, status
        case userID = "user_id"
        case reportedID = "reported_id"
        case reportedType = "reported_type"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
