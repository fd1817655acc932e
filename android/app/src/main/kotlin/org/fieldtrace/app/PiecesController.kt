package org.fieldtrace.app

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.fieldtrace.fieldkit.pieceCounts
import org.fieldtrace.fieldkit.ffi.PieceCounts
import java.time.YearMonth

data class PiecesUi(val month: YearMonth = YearMonth.now(), val counts: PieceCounts? = null)

/** An assistant's pieces per day in a month: what they are paid for, counted by the core. */
class PiecesController(private val runner: FlowRunner) {
    private val state = MutableStateFlow(PiecesUi())
    val ui: StateFlow<PiecesUi> = state.asStateFlow()

    fun show(month: YearMonth = state.value.month) {
        runner.run({ it.pieceCounts(month.toString()) }) { counts ->
            state.value = PiecesUi(month, counts)
            runner.say(R.string.say_pieces_total, counts.total.toInt())
        }
    }

    fun previousMonth() = show(state.value.month.minusMonths(1))

    fun nextMonth() = show(state.value.month.plusMonths(1))
}
