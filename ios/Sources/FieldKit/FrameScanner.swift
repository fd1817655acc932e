import CoreVideo
import Foundation
import FieldKitFFI

/// What one camera frame gave. Mirrors `ScanOutcome` in android/fieldkit.
public enum ScanOutcome {
    /// One or more codes; the first is the one to scan.
    case found([DecodedCode])
    /// No code in this frame: keep the camera running.
    case nothingFound
    /// The frame itself cannot be used (wrong size, stride, rotation or pixel format): a bug in
    /// the caller.
    case unusable(FieldTraceError)
}

/// The luma (Y) plane of one camera frame, copied out of the camera's buffer.
public struct LumaFrame: Sendable {
    public let width: Int
    public let height: Int
    public let bytesPerRow: Int
    public let luma: Data

    /// Copies plane 0 of a bi-planar 4:2:0 buffer (`kCVPixelFormatType_420YpCbCr8BiPlanarFullRange`
    /// or video range), once, and only the bytes the core reads. Nil for any other format.
    /// Call it inside `captureOutput(_:didOutput:from:)`: the camera reuses its buffers.
    public init?(copying pixelBuffer: CVPixelBuffer) {
        let format = CVPixelBufferGetPixelFormatType(pixelBuffer)
        guard format == kCVPixelFormatType_420YpCbCr8BiPlanarFullRange
            || format == kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange else { return nil }
        CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }
        guard let base = CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, 0) else { return nil }
        width = CVPixelBufferGetWidthOfPlane(pixelBuffer, 0)
        height = CVPixelBufferGetHeightOfPlane(pixelBuffer, 0)
        bytesPerRow = CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, 0)
        guard width > 0, height > 0 else { return nil }
        // The last row needs only `width` bytes (the core accepts that, as on Android).
        luma = Data(bytes: base, count: bytesPerRow * (height - 1) + width)
    }
}

/// Hands camera frames to the core's decoder off the main thread. Needs no open store, so the
/// camera can run before enrollment. Mirrors `FrameScanner` in android/fieldkit: iOS passes
/// `bytesPerRow` where CameraX passes `rowStride`.
public struct FrameScanner: Sendable {
    public init() {}

    /// Decodes a frame's Y plane (`rowStride` bytes per row, ≥ `width`). `rotationDegrees` turns
    /// the sensor image upright (90 for the back camera held in portrait).
    public func decode(width: Int, height: Int, rowStride: Int, luma: Data, rotationDegrees: Int = 0) async -> ScanOutcome {
        precondition(width >= 0 && height >= 0 && rowStride >= 0 && rotationDegrees >= 0,
                     "negative frame geometry: \(width)×\(height), stride \(rowStride), rotation \(rotationDegrees)")
        return await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                let result = FieldResult {
                    try decodeFrame(width: UInt32(width), height: UInt32(height), rowStride: UInt32(rowStride),
                                    luma: luma, rotationDegrees: UInt32(rotationDegrees))
                }
                switch result {
                case .ok(let codes): continuation.resume(returning: codes.isEmpty ? .nothingFound : .found(codes))
                case .failed(let error): continuation.resume(returning: .unusable(error))
                }
            }
        }
    }

    /// Decodes a copied frame.
    public func decode(_ frame: LumaFrame, rotationDegrees: Int = 0) async -> ScanOutcome {
        await decode(width: frame.width, height: frame.height, rowStride: frame.bytesPerRow,
                     luma: frame.luma, rotationDegrees: rotationDegrees)
    }

    /// Decodes plane 0 of a 420f (or 420v) camera buffer: base address and bytesPerRow, copied
    /// once into `Data` before the first suspension, so the camera gets its buffer back at once.
    public func decode(pixelBuffer: CVPixelBuffer, rotationDegrees: Int = 0) async -> ScanOutcome {
        guard let frame = LumaFrame(copying: pixelBuffer) else {
            return .unusable(.InvalidInput(key: "decode_pixel_format",
                                           detail: "not a bi-planar 4:2:0 buffer (use kCVPixelFormatType_420YpCbCr8BiPlanarFullRange)"))
        }
        return await decode(frame, rotationDegrees: rotationDegrees)
    }
}
