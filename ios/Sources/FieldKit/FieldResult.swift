import FieldKitFFI

/// What a FieldTrace call gave: a value, or a core error with its stable `key` (a string name
/// such as `nothing_scanned`, `undo_expired`; the app maps it to words and speech). Mirrors
/// `FieldResult` in android/fieldkit.
public enum FieldResult<Value> {
    case ok(Value)
    case failed(FieldTraceError)

    /// The value, or nil on a core error.
    public var value: Value? {
        if case .ok(let value) = self { return value }
        return nil
    }

    /// The core error, or nil.
    public var error: FieldTraceError? {
        if case .failed(let error) = self { return error }
        return nil
    }

    /// The value, or throws the core error.
    public func get() throws -> Value {
        switch self {
        case .ok(let value): return value
        case .failed(let error): throw error
        }
    }

    /// Runs `body`, turning a `FieldTraceError` into `.failed`.
    public init(catching body: () throws -> Value) {
        do { self = .ok(try body()) } catch { self = .failed(FieldTraceError.from(error)) }
    }

    /// Runs the async `body`, turning a `FieldTraceError` into `.failed`.
    public static func of(_ body: () async throws -> Value) async -> FieldResult<Value> {
        do { return .ok(try await body()) } catch { return .failed(FieldTraceError.from(error)) }
    }
}

extension FieldTraceError {
    /// The stable, localizable key of any core error, whichever kind it is.
    public var key: String {
        switch self {
        case .InvalidInput(let key, _), .NotAllowed(let key, _), .Storage(let key, _),
             .EnrollmentNeeded(let key, _), .Unavailable(let key, _), .Rejected(let key, _),
             .Internal(let key, _), .Untrusted(let key, _):
            return key
        }
    }

    /// The English detail of any core error, for logs; never shown to users.
    public var detail: String {
        switch self {
        case .InvalidInput(_, let detail), .NotAllowed(_, let detail), .Storage(_, let detail),
             .EnrollmentNeeded(_, let detail), .Unavailable(_, let detail), .Rejected(_, let detail),
             .Internal(_, let detail), .Untrusted(_, let detail):
            return detail
        }
    }

    /// Swift cannot declare which errors a call throws, so the generated functions throw
    /// `any Error`. Anything that is not a `FieldTraceError` (a uniffi internal error: a bug) is
    /// reported as `Internal` rather than crashing a farmer's phone; Kotlin lets it propagate.
    static func from(_ error: any Error) -> FieldTraceError {
        if let error = error as? FieldTraceError { return error }
        return .Internal(key: "ffi_internal", detail: String(describing: error))
    }
}
