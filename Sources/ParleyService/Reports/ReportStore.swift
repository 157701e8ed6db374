import Foundation
import PostgresNIO

/// The SQL for abuse reports.
struct ReportStore: Sendable {
    let database: Database

    /// A pending report; `nil` when the reporter already has a pending report on that target (the
    /// partial unique index decides, so two concurrent reports can never both be written, while
    /// other reporters are never blocked).
    func create(
        reporterID: Int,
        reportedID: Int,
        reportedType: ReportedType,
        content: String,
        category: String
    ) async throws -> Report? {
        do {
            let rows = try await database.query(
                """
                INSERT INTO reports (user_id, reported_id, reported_type, content, category)
                VALUES (\(reporterID), \(reportedID), \(reportedType.rawValue), \(content), \(category))
                RETURNING id, status, created_at, updated_at
                """
            )
            for try await (id, status, createdAt, updatedAt) in rows.decode((Int, String, Date, Date).self) {
                return Report(
                    id: id, userID: reporterID, reportedID: reportedID, reportedType: reportedType, content: content,
                    category: category, status: status, createdAt: createdAt, updatedAt: updatedAt
                )
            }
            return nil
        } catch where Database.isUniqueViolation(error, constraint: "reports_one_pending_per_reporter") {
            return nil
        }
    }
}
