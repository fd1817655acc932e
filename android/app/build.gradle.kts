plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

android {
    namespace = "org.fieldtrace.app"
    compileSdk = 35
    // The NDK cargo-ndk builds with; keep in step with android/README.md.
    ndkVersion = "27.2.12479018"

    defaultConfig {
        applicationId = "org.fieldtrace.app"
        // 26: VibrationEffect and adaptive icons; the phones in the field run Android 8 and up.
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // Only the ABIs cargoBuildAndroid builds.
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    sourceSets.getByName("main") {
        // The idiomatic Kotlin layer and the generated bindings, shared with the Maven JVM build.
        kotlin.srcDirs("src/main/kotlin", "../fieldkit/src/main/kotlin")
        jniLibs.srcDir("src/main/jniLibs")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    buildFeatures { compose = true }
    // The generated bindings call java.lang.ref.Cleaner (API 33) only after checking at run time
    // that it exists (JNA's cleaner otherwise); lint.xml scopes the NewApi exemption to that file.
    lint { lintConfig = file("lint.xml") }
}

kotlin {
    compilerOptions { jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17) }
}

dependencies {
    val composeBom = platform("androidx.compose:compose-bom:2024.12.01")
    implementation(composeBom)
    implementation("androidx.compose.material3:material3")
    implementation("androidx.compose.material:material-icons-extended")
    implementation("androidx.activity:activity-compose:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime-compose:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel-compose:2.8.7")

    val camerax = "1.4.1"
    implementation("androidx.camera:camera-camera2:$camerax")
    implementation("androidx.camera:camera-lifecycle:$camerax")
    implementation("androidx.camera:camera-view:$camerax")

    implementation("androidx.work:work-runtime-ktx:2.10.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    // The generated bindings call the Rust library through JNA; the AAR carries libjnidispatch
    // for each ABI (the plain jar has only desktop natives).
    implementation("net.java.dev.jna:jna:5.17.0@aar")
}

// Builds the Rust library (crate fieldtrace-ffi) for the phone ABIs into src/main/jniLibs before
// every build, so the .so always matches the generated bindings compiled above. Cargo is
// incremental, so an unchanged workspace costs a few seconds.
val repoRoot: File = rootProject.projectDir.parentFile
val jniLibsDir: File = layout.projectDirectory.dir("src/main/jniLibs").asFile
val cargoBuildAndroid by tasks.registering(Exec::class) {
    group = "build"
    description = "cargo ndk build --release -p fieldtrace-ffi for arm64-v8a, armeabi-v7a, x86_64"
    workingDir = repoRoot
    inputs.files(repoRoot.resolve("Cargo.toml"), repoRoot.resolve("Cargo.lock"))
    inputs.dir(repoRoot.resolve("core/src"))
    inputs.dir(repoRoot.resolve("bindings/src"))
    outputs.dir(jniLibsDir)
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", jniLibsDir.absolutePath,
        "build", "--release", "-p", "fieldtrace-ffi",
    )
    doFirst {
        // cargo-ndk finds the NDK through ANDROID_NDK_HOME; default it to the one AGP resolved
        // (read here, at execution, so configuring without an NDK still works).
        if (System.getenv("ANDROID_NDK_HOME") == null) {
            environment("ANDROID_NDK_HOME", android.ndkDirectory.absolutePath)
        }
    }
}
tasks.named("preBuild") { dependsOn(cargoBuildAndroid) }
