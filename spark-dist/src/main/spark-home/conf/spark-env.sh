# This SPARK_HOME's site settings (sourced by bin/load-spark-env.sh): the Scala version of its jars,
# which Spark's launcher needs when it builds the class path (Workers build executors' with it).
SPARK_SCALA_VERSION=${scala.binary.version}
