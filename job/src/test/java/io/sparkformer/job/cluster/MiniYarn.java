package io.sparkformer.job.cluster;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The YARN tests' cluster: MiniDFS plus a MiniYARNCluster with one NodeManager (8 GB, 4 vcores, no
 * virtual-memory check) and one capacity-scheduler queue, "default", and the HADOOP_CONF_DIR a
 * gateway would hold for it.
 */
final class MiniYarn implements AutoCloseable {
    final MiniHdfs hdfs;
    final MiniYARNCluster yarn;
    /** What HADOOP_CONF_DIR holds on a gateway: the live addresses of the RM and the namenode. */
    final File confDir;

    private MiniYarn(MiniHdfs hdfs, MiniYARNCluster yarn, File confDir) {
        this.hdfs = hdfs;
        this.yarn = yarn;
        this.confDir = confDir;
    }

    static MiniYarn start(File base, String name) throws Exception {
        Configuration conf = new YarnConfiguration();
        MiniHdfs hdfs = new MiniHdfs(new File(base, "dfs"), conf);
        conf.set("fs.defaultFS", hdfs.uri);
        conf.setInt(YarnConfiguration.NM_PMEM_MB, 8192);
        conf.setInt(YarnConfiguration.NM_VCORES, 4);
        conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
        conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
        conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 99.0f);
        // The capacity scheduler's queues (a cluster's capacity-scheduler.xml): one queue, "default".
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
        conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
        MiniYARNCluster yarn = new MiniYARNCluster(name, 1, 1, 1);
        yarn.init(conf);
        yarn.start();
        ClusterProcesses.waitUntil("the NodeManager to register", Duration.ofSeconds(60),
                () -> yarn.getResourceManager().getRMContext().getRMNodes().size() == 1);
        // The mini cluster's rack mapping (StaticMapping) is a Hadoop test class, which a Spark
        // installation does not have: a gateway's configuration names the default.
        File confDir = new File(base, "hadoop-conf");
        Files.createDirectories(confDir.toPath());
        Configuration gateway = new Configuration(yarn.getConfig());
        gateway.set("net.topology.node.switch.mapping.impl", "org.apache.hadoop.net.ScriptBasedMapping");
        for (String file : List.of("core-site.xml", "yarn-site.xml")) {
            try (OutputStream out = new FileOutputStream(new File(confDir, file))) {
                gateway.writeXml(out);
            }
        }
        return new MiniYarn(hdfs, yarn, confDir);
    }

    /**
     * submit/yarn.sh's command line for this small cluster: the script's flags, Spark settings sized
     * down from conf/spark-defaults.conf for a 2-core test machine and wired to it (Spark is installed
     * on the "nodes", whose environment has no JAVA_HOME), then a test's own {@code --conf} pairs and
     * the job's arguments.
     */
    List<String> yarnSh(String deployMode, String name, List<String> confs, List<String> jobArgs) {
        String javaHome = System.getProperty("java.home");
        List<String> command = new ArrayList<>(List.of("bash",
                ClusterProcesses.projectRoot().resolve("submit/yarn.sh").toString(),
                "--deploy-mode", deployMode, "--queue", "default", "--name", name,
                "--num-executors", "2", "--executor-cores", "1", "--executor-memory", "640m", "--driver-memory", "768m",
                "--conf", "spark.task.cpus=1",
                "--conf", "spark.executor.memoryOverhead=512m",
                "--conf", "spark.driver.memoryOverhead=512m",
                "--conf", "spark.executorEnv.OMP_NUM_THREADS=1",
                "--conf", "spark.yarn.appMasterEnv.OMP_NUM_THREADS=1",
                "--conf", "spark.yarn.jars=" + SparkDistribution.yarnJars(),
                "--conf", "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
                "--conf", "spark.executorEnv.JAVA_HOME=" + javaHome,
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.yarn.report.interval=2s"));
        for (String conf : confs) {
            command.addAll(List.of("--conf", conf));
        }
        command.addAll(jobArgs);
        return command;
    }

    /** Starts {@code command} from a gateway of this cluster (SPARK_HOME, HADOOP_CONF_DIR, the app jar). */
    /** Every container's stderr so far, of all applications (executors, application masters, cluster-mode drivers). */
    List<Path> containerStderrFiles() {
        return StderrFiles.under(yarn.getTestWorkDir().toPath()).stream()
                .filter(p -> p.getParent().getFileName().toString().startsWith("container_")).toList();
    }

    /** The stderr files of one application's containers. */
    List<Path> containerStderrFiles(String applicationId) {
        return containerStderrFiles().stream().filter(p -> p.toString().contains(applicationId)).toList();
    }

    Process submit(ClusterProcesses processes, String logName, List<String> command) {
        return processes.start(logName, Map.of("SPARK_HOME", SparkDistribution.home().toString(),
                "HADOOP_CONF_DIR", confDir.getPath(), "SPARKFORMER_JAR", SparkDistribution.appJar().toString(),
                "SPARK_LOCAL_IP", "127.0.0.1", "OMP_NUM_THREADS", "1",
                "SPARK_SUBMIT_OPTS", ClusterProcesses.driverLogging()), command);
    }

    @Override
    public void close() {
        yarn.stop();
        hdfs.close();
    }
}
