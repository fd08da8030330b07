# Shared by the cluster scripts (sourced, not run): finding spark-submit and the app jar, the
# defaults template as --conf flags, and shipping a local --config file.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script="$(basename "$0")"

die() { echo "$script: $*" >&2; exit 2; }

# $SPARK_HOME/bin/spark-submit must exist: the cluster scripts never run Spark in-process.
require_spark_submit() {
  [ -n "${SPARK_HOME:-}" ] || die "SPARK_HOME is not set: point it at a Spark 3.5 (Scala 2.12) installation, or Spark 4.x (Scala 2.13) for a jar built with -Pspark4"
  [ -x "$SPARK_HOME/bin/spark-submit" ] || die "no executable $SPARK_HOME/bin/spark-submit (SPARK_HOME=$SPARK_HOME)"
}

# The shaded app jar: $SPARKFORMER_JAR, else the one built in job/target.
app_jar() {
  local jar="${SPARKFORMER_JAR:-$(ls "$root"/job/target/sparkformer-job-*-app.jar 2>/dev/null | head -1 || true)}"
  [ -n "$jar" ] || die "no app jar: build it with 'mvn -DskipTests package' or set SPARKFORMER_JAR"
  case "$jar" in *://*) ;; *) [ -f "$jar" ] || die "app jar $jar does not exist" ;; esac
  echo "$jar"
}

# conf/spark-defaults.conf (or $SPARKFORMER_SPARK_DEFAULTS) as --conf key=value flags in $defaults.
spark_defaults() {
  local file="${SPARKFORMER_SPARK_DEFAULTS:-$root/conf/spark-defaults.conf}" key value
  [ -f "$file" ] || die "Spark defaults file $file does not exist"
  defaults=()
  while read -r key value; do
    case "$key" in ''|'#'*) continue ;; esac
    defaults+=(--conf "$key=$value")
  done < "$file"
}

# Fills $files (--files FILE) and $args (the sparkformer command line) from "$@" after the deploy
# mode: a --config that is a local file is, in cluster mode, shipped with --files and named by its
# base name (the driver finds it in its working directory); in client mode named by its absolute path.
ship_config() {
  local mode="$1" ; shift
  files=() ; args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --config|--config=*)
        local c
        if [ "$1" = --config ]; then [ $# -ge 2 ] || die "--config needs a file"; c="$2"; shift 2; else c="${1#--config=}"; shift; fi
        if [ -f "$c" ] && [ "$mode" = cluster ]; then files=(--files "$c"); c="$(basename "$c")"
        elif [ -f "$c" ]; then c="$(cd "$(dirname "$c")" && pwd)/$(basename "$c")"; fi
        args+=(--config "$c") ;;
      *) args+=("$1"); shift ;;
    esac
  done
}

# Sizes the executors and the driver for a `train` command from the model's off-heap estimate
# (`sparkformer memory --master cluster`, README "Memory"): replaces spark.{executor,driver}.memory and
# memoryOverhead in $defaults and the javacpp limits inside their extraJavaOptions, so --conf given
# to a script still wins. Needs java and a local --config file; otherwise (a config on HDFS,
# finetune, whose architecture is the checkpoint's) the template's documented values stay.
# SPARKFORMER_DERIVE_MEMORY=0 keeps the template's values. Call after spark_defaults.
derive_memory() {
  [ "${1:-}" = train ] && [ "${SPARKFORMER_DERIVE_MEMORY:-1}" = 1 ] || return 0
  shift
  local mem_args=() c
  while [ $# -gt 0 ]; do
    case "$1" in
      --config|--config=*)
        if [ "$1" = --config ]; then c="${2:-}"; shift 2 || shift; else c="${1#--config=}"; shift; fi
        [ -f "$c" ] || return 0
        mem_args+=(--config "$c") ;;
      --set) mem_args+=(--set "${2:-}"); shift 2 || shift ;;
      --set=*) mem_args+=("$1"); shift ;;
      *) shift ;;
    esac
  done
  local app="${jar:-${SPARKFORMER_JAR:-$(ls "$root"/job/target/sparkformer-job-*-app.jar 2>/dev/null | head -1 || true)}}"
  [ -f "$app" ] && command -v java >/dev/null 2>&1 || return 0
  local lines line key value i
  lines="$(java -Xmx256m -cp "$app:$SPARK_HOME/jars/*" io.sparkformer.job.Main memory --master cluster \
      ${mem_args[@]+"${mem_args[@]}"} 2>/dev/null)" || return 0
  local used=()
  while read -r line; do
    case "$line" in spark.*=*) used+=("$line") ;; *) continue ;; esac
    key="${line%%=*}"; value="${line#*=}"
    for ((i = 1; i < ${#defaults[@]}; i += 2)); do
      if [ "${defaults[$i]%%=*}" = "$key" ]; then
        case "$key" in
          *.extraJavaOptions) value="$(sed -E 's/ ?-Dorg\.bytedeco\.javacpp\.max(physical)?bytes=[^ ]*//g' \
              <<< "${defaults[$i]#*=}") $value" ;;
        esac
        defaults[$i]="$key=$value"
        continue 2
      fi
    done
    defaults+=(--conf "$key=$value")
  done <<< "$lines"
  [ ${#used[@]} -eq 0 ] || echo "$script: memory from the model's estimate (sparkformer memory): ${used[*]}" >&2
}
