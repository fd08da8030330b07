package io.sparkformer.job.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the cluster scripts hand to spark-submit (a stand-in that prints its arguments one per
 * line), and how they fail: exit code 2 with one line on stderr.
 */
class SubmitScriptsTest {
    private static final Path ROOT = ClusterProcesses.projectRoot();

    @TempDir
    File base;

    private record Run(int code, List<String> args, String err) {
    }

    private Run run(Map<String, String> env, String script, String... args) throws Exception {
        Path home = base.toPath().resolve("spark");
        Files.createDirectories(home.resolve("bin"));
        Path submit = home.resolve("bin/spark-submit");
        Files.writeString(submit, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        submit.toFile().setExecutable(true);
        Path jar = base.toPath().resolve("app.jar");
        Files.writeString(jar, "");
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("submit/" + script).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
        Map<String, String> e = new HashMap<>(Map.of("SPARK_HOME", home.toString(), "SPARKFORMER_JAR", jar.toString()));
        e.putAll(env);
        pb.environment().remove("SPARK_HOME");
        pb.environment().remove("HADOOP_CONF_DIR");
        e.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out.isEmpty() ? List.of() : List.of(out.split("\n")), err);
    }

    /** The value after {@code flag} in a command line, or null. */
    private static String after(List<String> args, String flag) {
        int i = args.indexOf(flag);
        return i < 0 ? null : args.get(i + 1);
    }

    @Test
    void yarnClusterModeShipsTheConfigAndPassesKerberosAndTheJobCommandLineThrough() throws Exception {
        Run r = run(Map.of("HADOOP_CONF_DIR", "/etc/hadoop/conf"), "yarn.sh", "--deploy-mode", "cluster",
                "--queue", "ml", "--principal", "me@EXAMPLE.COM", "--keytab", "/etc/me.keytab",
                "train", "--config", "conf/gpt-tiny.conf", "--corpus", "hdfs:///c.txt", "--out", "hdfs:///r",
                "--set", "spark.workers=2");
        assertEquals(0, r.code(), r.err());
        List<String> a = r.args();
        assertEquals("yarn", after(a, "--master"));
        assertEquals("cluster", after(a, "--deploy-mode"));
        assertEquals("ml", after(a, "--queue"));
        assertEquals("me@EXAMPLE.COM", after(a, "--principal"));
        assertEquals("/etc/me.keytab", after(a, "--keytab"));
        assertEquals("conf/gpt-tiny.conf", after(a, "--files"));
        assertTrue(a.contains("spark.executor.memoryOverhead=4g"), "conf/spark-defaults.conf as --conf: " + a);
        int jar = a.indexOf(base.toPath().resolve("app.jar").toString());
        assertEquals(List.of("train", "--config", "gpt-tiny.conf", "--corpus", "hdfs:///c.txt", "--out", "hdfs:///r",
                "--set", "spark.workers=2"), a.subList(jar + 1, a.size()));
        // Defaults first, so a --conf given to the script comes later and wins.
        Run over = run(Map.of("HADOOP_CONF_DIR", "/etc/hadoop/conf"), "yarn.sh", "--conf",
                "spark.executor.memoryOverhead=6g", "train");
        assertTrue(over.args().lastIndexOf("spark.executor.memoryOverhead=6g")
                > over.args().indexOf("spark.executor.memoryOverhead=4g"));
    }

    @Test
    void yarnClientModeNamesTheLocalConfigByItsAbsolutePath() throws Exception {
        Run r = run(Map.of("YARN_CONF_DIR", "/etc/hadoop/conf", "DEPLOY_MODE", "client", "PRINCIPAL", "me@R",
                "KEYTAB", "/k"), "yarn.sh", "train", "--config", "conf/gpt-tiny.conf");
        assertEquals(0, r.code(), r.err());
        assertEquals("client", after(r.args(), "--deploy-mode"));
        assertEquals(null, after(r.args(), "--files"));
        assertEquals(ROOT.resolve("conf/gpt-tiny.conf").toString(), after(r.args(), "--config"));
        assertEquals("me@R", after(r.args(), "--principal"));
    }

    @Test
    void scriptsFailLoudlyWithOneLineAndExitCode2() throws Exception {
        Map<String, String> noSpark = new HashMap<>();
        noSpark.put("SPARK_HOME", null);
        for (String script : List.of("standalone.sh", "yarn.sh", "k8s.sh")) {
            Run r = run(noSpark, script, "train");
            assertEquals(2, r.code(), script);
            assertEquals(script + ": SPARK_HOME is not set: point it at a Spark 3.5 (Scala 2.12) installation, "
                    + "or Spark 4.x (Scala 2.13) for a jar built with -Pspark4\n",
                    r.err());
        }
        assertEquals("yarn.sh: set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the cluster's Hadoop configuration\n",
                run(Map.of(), "yarn.sh", "train").err());
        assertEquals("standalone.sh: --master (or SPARK_MASTER) must be spark://HOST:PORT, got ''\n",
                run(Map.of(), "standalone.sh", "train").err());
        Run k8s = run(Map.of(), "k8s.sh", "--master", "k8s://https://api:6443", "--image", "img", "train",
                "--config", "conf/gpt-tiny.conf");
        assertEquals(2, k8s.code());
        assertTrue(k8s.err().startsWith("k8s.sh: --config conf/gpt-tiny.conf is a local file: set "
                + "SPARKFORMER_UPLOAD_PATH"), k8s.err());
        Run shipped = run(Map.of("SPARKFORMER_UPLOAD_PATH", "hdfs:///uploads"), "k8s.sh", "--master",
                "k8s://https://api:6443", "--image", "img", "train", "--config", "conf/gpt-tiny.conf");
        assertEquals(0, shipped.code(), shipped.err());
        assertTrue(shipped.args().contains("spark.kubernetes.file.upload.path=hdfs:///uploads"));
        assertEquals("gpt-tiny.conf", after(shipped.args(), "--config"));
    }
}
