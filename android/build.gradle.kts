// Versions are declared once here and applied in app/build.gradle.kts.
plugins {
    id("com.android.application") version "8.7.3" apply false
    // Kotlin 2.x, the same major line as android/fieldkit/pom.xml (2.1.21).
    id("org.jetbrains.kotlin.android") version "2.1.21" apply false
    id("org.jetbrains.kotlin.plugin.compose") version "2.1.21" apply false
}
