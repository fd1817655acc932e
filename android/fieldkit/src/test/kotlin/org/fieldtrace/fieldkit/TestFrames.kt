package org.fieldtrace.fieldkit

import com.google.zxing.BarcodeFormat
import com.google.zxing.EncodeHintType
import com.google.zxing.qrcode.QRCodeWriter

/** A camera frame's Y plane as CameraX hands it over: `rowStride` bytes per row. */
class YFrame(val width: Int, val height: Int, val rowStride: Int, val luma: ByteArray)

/** Test camera frames, drawn here with an independent QR encoder (ZXing, test scope only). */
object TestFrames {
    /**
     * A 640×480 grey frame with 64 bytes of padding per row, a QR Code of [text] inside at
     * [modulePx] pixels per module.
     */
    fun padded(text: String, modulePx: Int = 4): YFrame {
        val (width, height, stride) = Triple(640, 480, 704)
        val matrix = QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0, mapOf(EncodeHintType.MARGIN to 4))
        val luma = ByteArray(stride * height) { 200.toByte() }
        val (left, top) = 60 to 40
        for (y in 0 until matrix.height * modulePx) {
            for (x in 0 until matrix.width * modulePx) {
                val dark = matrix.get(x / modulePx, y / modulePx)
                luma[(top + y) * stride + left + x] = if (dark) 0 else 255.toByte()
            }
        }
        return YFrame(width, height, stride, luma)
    }
}
