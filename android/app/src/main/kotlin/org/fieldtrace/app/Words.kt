package org.fieldtrace.app

import android.annotation.SuppressLint
import android.content.Context
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.BizStep
import org.fieldtrace.fieldkit.ffi.ScanInfo
import org.fieldtrace.fieldkit.ffi.bizStepKey

/** The reason picker's label for each [AbnormalReason] (the icon is in ReasonIcons.kt). */
val AbnormalReason.label: Int
    get() = when (this) {
        AbnormalReason.BRUISED -> R.string.reason_bruised
        AbnormalReason.ROTTEN -> R.string.reason_rotten
        AbnormalReason.OVER_TEMPERATURE -> R.string.reason_over_temperature
        AbnormalReason.WET -> R.string.reason_wet
        AbnormalReason.CRUSHED_PACKAGE -> R.string.reason_crushed_package
        AbnormalReason.MISSING -> R.string.reason_missing
        AbnormalReason.WRONG_ITEM -> R.string.reason_wrong_item
        AbnormalReason.OTHER -> R.string.reason_other
    }

/**
 * Words for a core error key (`error_<key>` in strings.xml). The keys are the core's stable
 * contract, so they are looked up by name; res/raw/keep.xml keeps them through shrinking. An
 * unknown key (a newer server) falls back to a generic message.
 */
@SuppressLint("DiscouragedApi")
fun Context.errorText(key: String): String {
    val id = resources.getIdentifier("error_$key", "string", packageName)
    return getString(if (id != 0) id else R.string.error_unknown)
}

/** The step's name (`step_<key>`), looked up by the core's stable key like [errorText]. */
@SuppressLint("DiscouragedApi")
fun Context.stepText(step: BizStep): String {
    val id = resources.getIdentifier("step_${bizStepKey(step)}", "string", packageName)
    return if (id != 0) getString(id) else bizStepKey(step)
}

/** What a scanned code is called on screen and in speech: the product, else the code itself. */
val ScanInfo.title: String
    get() = lot?.product ?: code
