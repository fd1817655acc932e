package org.fieldtrace.app

import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.BugReport
import androidx.compose.material.icons.filled.Healing
import androidx.compose.material.icons.filled.Inventory2
import androidx.compose.material.icons.filled.MoreHoriz
import androidx.compose.material.icons.filled.SearchOff
import androidx.compose.material.icons.filled.SwapHoriz
import androidx.compose.material.icons.filled.Thermostat
import androidx.compose.material.icons.filled.WaterDrop
import androidx.compose.ui.graphics.vector.ImageVector
import org.fieldtrace.fieldkit.ffi.AbnormalReason

/** The reason picker's icon for each [AbnormalReason] (its label is in Words.kt). */
val AbnormalReason.icon: ImageVector
    get() = when (this) {
        AbnormalReason.BRUISED -> Icons.Filled.Healing
        AbnormalReason.ROTTEN -> Icons.Filled.BugReport
        AbnormalReason.OVER_TEMPERATURE -> Icons.Filled.Thermostat
        AbnormalReason.WET -> Icons.Filled.WaterDrop
        AbnormalReason.CRUSHED_PACKAGE -> Icons.Filled.Inventory2
        AbnormalReason.MISSING -> Icons.Filled.SearchOff
        AbnormalReason.WRONG_ITEM -> Icons.Filled.SwapHoriz
        AbnormalReason.OTHER -> Icons.Filled.MoreHoriz
    }
