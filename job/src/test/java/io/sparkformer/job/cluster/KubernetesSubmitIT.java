package io.sparkformer.job.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import java.io.File;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kubernetes without a cluster: {@code submit/k8s.sh} runs the test Spark distribution's spark-submit
 * ({@link SparkDistribution}: Spark's own Kubernetes client) in cluster mode against a recording API
 * server on loopback, and the driver pod it creates is checked field by field, down to the
 * {@code local://} path at which the image recipe puts the app jar this build made. Pods never start
 * here; the image is not built.
 */
class KubernetesSubmitIT {
    private static final Path ROOT = ClusterProcesses.projectRoot();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    File base;

    @Test
    void podTemplatesAreKubernetesPodsNamingTheSparkContainer() throws Exception {
        for (String role : List.of("driver", "executor")) {
            Map<String, Object> pod = new Yaml().load(Files.readString(ROOT.resolve("submit/k8s/" + role
                    + "-pod-template.yaml")));
            assertEquals("v1", pod.get("apiVersion"));
            assertEquals("Pod", pod.get("kind"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> containers = (List<Map<String, Object>>) ((Map<String, Object>) pod.get("spec"))
                    .get("containers");
            assertEquals("sparkformer-" + role, containers.get(0).get("name"));
        }
    }

    @Test
    void clusterModeSubmissionCreatesTheDriverPodFromTemplateImageAccountArgsAndMemory() throws Exception {
        try (RecordingKubernetesApi api = new RecordingKubernetesApi();
             ClusterProcesses processes = new ClusterProcesses(base.toPath().resolve("logs"))) {
            Path sparkHome = SparkDistribution.home();
            List<String> job = List.of("train", "--config", "/opt/sparkformer/conf/gpt-tiny.conf",
                    "--corpus", "hdfs://namenode:8020/corpus/shakespeare.txt", "--out", "hdfs://namenode:8020/runs/k8s",
                    "--set", "spark.workers=2");
            List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("submit/k8s.sh").toString(),
                    "--master", "k8s://" + api.url(), "--namespace", "ml-team", "--service-account", "sparkformer-sa",
                    "--image", "registry.example/sparkformer:0.1.0", "--num-executors", "2",
                    "--conf", "spark.kubernetes.submission.waitAppCompletion=false"));
            cmd.addAll(job);
            Process p = processes.start("k8s-submit", Map.of("SPARK_HOME", sparkHome.toString(),
                    "SPARK_SUBMIT_OPTS", "-XX:TieredStopAtLevel=1"), cmd);
            int code = ClusterProcesses.await(p, Duration.ofMinutes(2));
            assertEquals(0, code, "k8s.sh exit code; log:\n" + processes.logText("k8s-submit"));

            JsonNode pod = api.only("POST", "/api/v1/namespaces/ml-team/pods").json();
            JsonNode spec = pod.get("spec");
            assertEquals("sparkformer-sa", spec.get("serviceAccountName").asText());
            // From the template: labels, annotation, security context, the javacpp volume.
            assertEquals("sparkformer", pod.at("/metadata/labels/app.kubernetes.io~1name").asText());
            assertEquals("driver", pod.at("/metadata/annotations/sparkformer.io~1role").asText());
            assertEquals(185, spec.at("/securityContext/runAsUser").asInt());
            assertEquals("javacpp-cache", spec.at("/volumes/0/name").asText());
            // Spark's own labels are there too: the template was merged, not replacing them.
            assertEquals("driver", pod.at("/metadata/labels/spark-role").asText());

            JsonNode container = spec.get("containers").get(0);
            assertEquals("sparkformer-driver", container.get("name").asText());
            assertEquals("registry.example/sparkformer:0.1.0", container.get("image").asText());
            assertEquals("PASSIVE", envValue(container, "OMP_WAIT_POLICY"));
            List<String> args = new ArrayList<>();
            container.get("args").forEach(a -> args.add(a.asText()));
            assertEquals(List.of("driver", "--properties-file", "/opt/spark/conf/spark.properties", "--class",
                    "io.sparkformer.job.Main", "local:///opt/sparkformer/sparkformer-app.jar"), args.subList(0, 6));
            assertEquals(job, args.subList(6, args.size()));
            assertImageHoldsTheAppJarAt(URI.create(args.get(5)).getPath());
            // conf/spark-defaults.conf: driver 4g heap + 3g overhead = a 7g pod.
            assertEquals("7168Mi", container.at("/resources/requests/memory").asText());
            assertEquals("7168Mi", container.at("/resources/limits/memory").asText());

            // The driver's Spark settings travel in a config map: executors get the ND4J off-heap
            // settings and the executor pod template.
            java.util.Properties driverConf = new java.util.Properties();
            String podTemplate = null;
            for (RecordingKubernetesApi.Request r : api.requests) {
                if (r.path().contains("/configmaps") && r.body().startsWith("{")) {
                    JsonNode data = r.json().get("data");
                    if (data.has("spark.properties")) {
                        driverConf.load(new java.io.StringReader(data.get("spark.properties").asText()));
                    }
                    if (data.has("podspec-configmap-key")) {
                        podTemplate = data.get("podspec-configmap-key").asText();
                    }
                }
            }
            assertTrue(driverConf.getProperty("spark.executor.extraJavaOptions", "")
                    .endsWith("-Dorg.bytedeco.javacpp.maxbytes=3g -Dorg.bytedeco.javacpp.maxphysicalbytes=7600m"),
                    "executors get the ND4J off-heap settings: " + driverConf.getProperty("spark.executor.extraJavaOptions"));
            assertEquals("2", driverConf.getProperty("spark.executor.instances"));
            assertEquals("4g", driverConf.getProperty("spark.executor.memoryOverhead"));
            assertEquals(Files.readString(ROOT.resolve("submit/k8s/executor-pod-template.yaml")), podTemplate,
                    "the executor pod template travels to the driver");
        }
    }

    /**
     * The image recipe copies the app jar this build made (its {@code COPY} source glob matches the
     * jar's name) to {@code path}, where the pods' {@code local://} URI points.
     */
    private static void assertImageHoldsTheAppJarAt(String path) throws Exception {
        String appJar = SparkDistribution.appJar().getFileName().toString();
        List<String> copies = Files.readAllLines(ROOT.resolve("submit/k8s/Dockerfile")).stream()
                .filter(l -> l.startsWith("COPY ") && l.endsWith(" " + path)).toList();
        assertEquals(1, copies.size(), "one COPY to " + path + " in submit/k8s/Dockerfile");
        String source = copies.get(0).split("\\s+")[1];
        assertTrue(FileSystems.getDefault().getPathMatcher("glob:" + source)
                .matches(Path.of("job/target").resolve(appJar)), source + " copies " + appJar);
    }

    private static String envValue(JsonNode container, String name) {
        for (JsonNode e : container.get("env")) {
            if (e.get("name").asText().equals(name)) {
                return e.get("value").asText();
            }
        }
        throw new AssertionError("no env " + name + " in " + container.get("env"));
    }
}
