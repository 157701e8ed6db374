import Hummingbird

/// `POST /report/save` (API.md §4, Reports).
struct ReportsController: Sendable {
    let reports: ReportStore
    let users: UserStore

    func addRoutes(to router: Router<AppRequestContext>, authentication: AuthenticationMiddleware) {
        router.group("report")
            .add(middleware: authentication)
            .post("save", use: save)
    }

    @Sendable func save(_ request: Request, context: AppRequestContext) async throws -> Envelope<Report> {
        let me = try context.requireIdentity().userID
        let fields = try await RequestFields.parse(request)
        let reportedID = try fields.int(ReportFields.reportedID)
        let reportedType = try fields.choice(ReportFields.reportedType, in: ReportFields.reportedTypes)
        let content = try fields.string(ReportFields.content, length: ReportFields.contentLength)
        let category = try fields.string(ReportFields.category, length: ReportFields.categoryLength)
        guard reportedType != .user || reportedID != me else { throw ParleyError(.cannotReportSelf) }
        guard try await exists(reportedID, reportedType) else { throw ParleyError(.reportedNotFound) }
        guard let report = try await reports.create(
            reporterID: me, reportedID: reportedID, reportedType: reportedType, content: content, category: category
        ) else {
            throw ParleyError(.reportExists)
        }
        context.logger.info("Report filed", metadata: ["user.id": "\(me)", "report.id": "\(report.id)"])
        return Envelope(report)
    }

    /// Whether the target exists: any user, enabled or not (a disabled account may still be
    /// reported); no group yet, as groups do not exist.
    private func exists(_ reportedID: Int, _ reportedType: ReportedType) async throws -> Bool {
        switch reportedType {
        case .user: try await users.user(id: reportedID) != nil
        case .group: false
        }
    }
}
