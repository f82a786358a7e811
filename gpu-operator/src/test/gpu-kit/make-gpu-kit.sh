#!/usr/bin/env bash
# Packs the GPU tests and bench-gpu into one archive for a Linux x86-64 machine that has an NVIDIA
# driver but neither Java nor Maven: a jlink'ed Java runtime with only the modules the engine needs,
# gpu-operator's classes and test classes, their dependencies, and JUnit's console launcher.
#
#   gpu-operator/src/test/gpu-kit/make-gpu-kit.sh      -> gpu-operator/target/gpu-kit.tar.gz
#   (on the GPU machine) tar xzf gpu-kit.tar.gz && gpu-kit/run.sh [REPORTS_DIR]
#                        gpu-kit/engine make-model --preset bench --dtype bf16 --out m/bench
#                        gpu-kit/engine bench --backend cuda --model m/bench --concurrency 1,8,64
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)
MODULE=$ROOT/gpu-operator
KIT=$MODULE/target/gpu-kit
JAVA_BIN=${JAVA_HOME:+$JAVA_HOME/bin/}
# JUnit's platform is versioned 1.x.y alongside Jupiter 5.x.y.
JUPITER=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' "$ROOT/pom.xml")
PLATFORM=1.${JUPITER#5.}

rm -rf "$KIT" "$KIT.tar.gz"
mkdir -p "$KIT/lib"
echo "gpu-kit: compiling gpu-operator and its tests, copying dependencies..." >&2
(cd "$ROOT" && mvn -B -ntp -q -pl gpu-operator test-compile dependency:copy-dependencies -DincludeScope=test \
  -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian -DexcludeArtifactIds=byte-buddy \
  -DoutputDirectory="$KIT/lib")
(cd "$ROOT" && mvn -B -ntp -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$PLATFORM" \
  -DoutputDirectory="$KIT/lib")
# Only what runs on linux-x86_64 with the driver API: the archive must stay small enough to carry.
zip -q -d "$KIT"/lib/tokenizers-*.jar 'native/lib/linux-aarch64/*' 'native/lib/osx-*' 'native/lib/win-*' >/dev/null || true
zip -q -d "$KIT"/lib/jcuda-natives-*.jar 'lib/libJNvPTXCompiler-*' 'lib/libJCudaRuntime-*' 'lib/libJNvrtc-*' >/dev/null || true
"${JAVA_BIN}jar" cf "$KIT/lib/gpu-operator.jar" -C "$MODULE/target/classes" .
# A directory, not a jar: JUnit's console scans class directories for tests.
cp -r "$MODULE/target/test-classes" "$KIT/test-classes"

echo "gpu-kit: linking a Java runtime..." >&2
"${JAVA_BIN}jlink" --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.xml,java.sql,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$KIT/jre"

cat > "$KIT/run.sh" <<'RUN'
#!/usr/bin/env bash
# The GPU tests (JUnit tag "gpu"), then bench-gpu. Test reports go to $1 (default ./gpu-reports).
set -uo pipefail
KIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPORTS=${1:-gpu-reports}
CP=$KIT/test-classes:$(find "$KIT/lib" -name '*.jar' ! -name 'junit-platform-console-standalone-*' | tr '\n' ':')
JAVA=("$KIT/jre/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC ${STREAMSEEK_JAVA_OPTS:-})
"${JAVA[@]}" -jar "$KIT"/lib/junit-platform-console-standalone-*.jar execute --class-path "$CP" \
  --scan-class-path "$KIT/test-classes" --include-tag gpu --details=tree --reports-dir "$REPORTS"
tests=$?
"${JAVA[@]}" -cp "$CP" io.streamseek.gpu.cli.GpuOperatorCli bench-gpu
bench=$?
echo "gpu-kit: tests exit $tests, bench-gpu exit $bench"
exit $(( tests != 0 ? tests : bench ))
RUN
cat > "$KIT/engine" <<'ENGINE'
#!/usr/bin/env bash
# The engine's ./streamseek commands without Maven: gpu-kit/engine make-model|infer|bench|bench-gpu ...
KIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$KIT/jre/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC ${STREAMSEEK_JAVA_OPTS:-} \
  -cp "$(find "$KIT/lib" -name '*.jar' ! -name 'junit-platform-console-standalone-*' | tr '\n' ':')" io.streamseek.gpu.cli.GpuOperatorCli "$@"
ENGINE
chmod +x "$KIT/run.sh" "$KIT/engine"
tar czf "$KIT.tar.gz" -C "$MODULE/target" gpu-kit
echo "gpu-kit: $(du -h "$KIT.tar.gz" | cut -f1) in $KIT.tar.gz" >&2
