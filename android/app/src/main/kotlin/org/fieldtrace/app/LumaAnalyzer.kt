package org.fieldtrace.app

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import org.fieldtrace.fieldkit.FrameScanner
import org.fieldtrace.fieldkit.ScanOutcome
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Hands CameraX frames (YUV_420_888) to the core's decoder: only the Y plane is needed, with its
 * row stride and the rotation, so no RGB conversion happens on the phone.
 *
 * One frame is decoded at a time; frames arriving meanwhile are dropped (with
 * STRATEGY_KEEP_ONLY_LATEST CameraX keeps just the newest one), which keeps slow phones responsive.
 */
class LumaAnalyzer(
    private val scope: CoroutineScope,
    private val scanner: FrameScanner = FrameScanner(),
    /** Whether the screen wants codes now (false while the buttons are shown). */
    private val active: () -> Boolean,
    private val onText: (String) -> Unit,
) : ImageAnalysis.Analyzer {
    private val busy = AtomicBoolean(false)

    // Reused between frames: only touched while `busy` is held, so no decode reads it mid-copy.
    private var luma = ByteArray(0)

    override fun analyze(image: ImageProxy) {
        if (!active() || !busy.compareAndSet(false, true)) {
            image.close()
            return
        }
        val width = image.width
        val height = image.height
        val rotation = image.imageInfo.rotationDegrees
        val plane = image.planes[0]
        val rowStride = plane.rowStride
        // The one copy: the direct buffer belongs to the camera and is reused once we close the
        // image. Its last row may be shorter than rowStride; the core accepts that.
        val buffer = plane.buffer.duplicate().apply { rewind() }
        val size = buffer.remaining()
        if (luma.size != size) luma = ByteArray(size)
        buffer.get(luma, 0, size)
        image.close()

        scope.launch {
            try {
                when (val outcome = scanner.decode(width, height, rowStride, luma, rotation)) {
                    is ScanOutcome.Found -> if (active()) onText(outcome.first.text)
                    ScanOutcome.NothingFound -> Unit
                    // A geometry bug in this class, not the user's doing: keep the camera running.
                    is ScanOutcome.Unusable -> android.util.Log.w("FieldTrace", "frame unusable: ${outcome.key}")
                }
            } finally {
                busy.set(false)
            }
        }
    }
}
