// The Android shell. Only `app` is a Gradle module: the fieldkit Kotlin layer is built with Maven
// for the JVM tests (android/fieldkit/pom.xml) and compiled into the app as a source directory,
// so there is one copy of it and no second build to keep in step.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "FieldTrace"
include(":app")
