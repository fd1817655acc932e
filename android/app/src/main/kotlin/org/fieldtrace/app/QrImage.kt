package org.fieldtrace.app

import android.graphics.Bitmap
import android.graphics.Color
import org.fieldtrace.fieldkit.ffi.qrCode

/**
 * The QR of a handover offer or receipt as a bitmap for the screen, [modulePx] pixels per module
 * (the core makes the symbol: `qrCode`). Big and black on white: another phone's camera reads it
 * at arm's length. Null when the text does not fit in one QR (the core's error key is logged by
 * the caller's FieldResult when it matters; here there is nothing to show).
 */
fun qrBitmap(text: String, modulePx: Int = 8): Bitmap? {
    val qr = try {
        qrCode(text)
    } catch (_: org.fieldtrace.fieldkit.ffi.FieldTraceException) {
        return null
    }
    val side = qr.side.toInt()
    val pixels = IntArray(side * side * modulePx * modulePx)
    val width = side * modulePx
    for (i in pixels.indices) {
        val x = (i % width) / modulePx
        val y = (i / width) / modulePx
        pixels[i] = if (qr.dark[y * side + x]) Color.BLACK else Color.WHITE
    }
    return Bitmap.createBitmap(pixels, width, width, Bitmap.Config.ARGB_8888)
}
