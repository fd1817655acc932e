package org.fieldtrace.fieldkit

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.fieldtrace.fieldkit.ffi.DecodedCode
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.decodeFrame

/** What one camera frame gave. */
sealed interface ScanOutcome {
    /** One or more codes; [first] is the one to scan. */
    data class Found(val codes: List<DecodedCode>) : ScanOutcome {
        val first: DecodedCode get() = codes.first()
    }

    /** No code in this frame: keep the camera running. */
    data object NothingFound : ScanOutcome

    /** The frame itself cannot be used (wrong size, stride or rotation): a bug in the caller. */
    data class Unusable(val error: FieldTraceException) : ScanOutcome {
        val key: String get() = error.key
    }
}

/**
 * Hands camera frames to the core's decoder off the main thread. Needs no open store, so the
 * camera can run before enrollment. CameraX: `width`, `height`, `planes[0].rowStride`, the Y
 * plane's bytes and `imageInfo.rotationDegrees`; iOS the same with `bytesPerRow`.
 */
class FrameScanner(private val dispatcher: CoroutineDispatcher = Dispatchers.Default) {
    /** Decodes a frame's Y plane (`rowStride` bytes per row, ≥ `width`). */
    suspend fun decode(
        width: Int,
        height: Int,
        rowStride: Int,
        luma: ByteArray,
        rotationDegrees: Int = 0,
    ): ScanOutcome {
        require(width >= 0 && height >= 0 && rowStride >= 0 && rotationDegrees >= 0) {
            "negative frame geometry: $width×$height, stride $rowStride, rotation $rotationDegrees"
        }
        return withContext(dispatcher) {
            when (
                val result = FieldResult.of {
                    decodeFrame(width.toUInt(), height.toUInt(), rowStride.toUInt(), luma, rotationDegrees.toUInt())
                }
            ) {
                is FieldResult.Ok -> if (result.value.isEmpty()) ScanOutcome.NothingFound else ScanOutcome.Found(result.value)
                is FieldResult.Failed -> ScanOutcome.Unusable(result.error)
            }
        }
    }
}
