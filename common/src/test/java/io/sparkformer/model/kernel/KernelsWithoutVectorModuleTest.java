package io.sparkformer.model.kernel;

import io.sparkformer.model.nn.Gelu;
import io.sparkformer.model.nn.LayerNorm;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started without {@code --add-modules=jdk.incubator.vector} (a user's own spark-submit) runs
 * the model on the ND4J path: no kernel, one warning naming the flag, no failure.
 */
class KernelsWithoutVectorModuleTest {
    @Test
    void withoutTheModuleEveryKernelFallsBackToNd4jWithOneWarning() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Probe.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe JVM finished");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("active kernels: []"), out);
        assertTrue(out.contains("gelu and layernorm ran: [3, 5] [3, 5]"), out);
        long warnings = out.lines().filter(l -> l.contains("start it with --add-modules=jdk.incubator.vector")).count();
        assertEquals(1, warnings, out);
    }

    /** Runs in the child JVM. */
    public static final class Probe {
        public static void main(String[] args) {
            INDArray x = Nd4j.randn(DataType.FLOAT, 3, 5);
            INDArray y = Gelu.forward(x, new INDArray[1]);
            INDArray z = LayerNorm.forward(x, Nd4j.ones(DataType.FLOAT, 5), Nd4j.zeros(DataType.FLOAT, 5), 1e-5,
                    new LayerNorm.Cache[1]);
            System.out.println("active kernels: " + Kernels.active());
            System.out.println("gelu and layernorm ran: " + java.util.Arrays.toString(y.shape()) + " "
                    + java.util.Arrays.toString(z.shape()));
        }
    }
}
