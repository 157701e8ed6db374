import Foundation

/// What a report is about.
public enum ReportedType: String, Sendable, Encodable {
    case user
    case group
}

/// An abuse report (API.md §3).
public struct Report: Encodable, Sendable, Equatable {
    public let id: Int
    /// The reporter.
    public let userID: Int
    public let reportedID: Int
    public let reportedType: ReportedType
    public let content: String
    public let category: String
    /// `pending` until someone handles it (`handled` or `rejected`).
    public let status: String
    public let createdAt: Date
    public let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, content, category, status
        case userID = "user_id"
        case reportedID = "reported_id"
        case reportedType = "reported_type"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
