package io.sparkformer.job.cluster;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

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

    @Override
    public void close() {
        yarn.stop();
        hdfs.close();
    }
}
