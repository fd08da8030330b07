package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.FontMetrics;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * loss.png at 50, 2,000 and 50,000 steps: the tick labels, measured with the plot's own font, never
 * overlap and stay inside the picture; the pictures are kept in target/loss-plots/ to look at.
 */
class LossPlotTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path OUT = Path.of("target", "loss-plots");
    @TempDir
    Path dir;

    /** Metrics lines of a run of {@code steps}: a line every {@code every} steps, an evaluation every 10th line. */
    private static List<ObjectNode> run(int steps, int every, String... extra) {
        Random random = new Random(7);
        List<ObjectNode> lines = new ArrayList<>();
        int line = 0;
        for (int step = every; step <= steps; step += every, line++) {
            ObjectNode n = JSON.createObjectNode();
            double progress = step / (double) steps;
            n.put("step", step);
            n.put("lr", 1e-3 * Math.min(1, step / (0.05 * steps)) * (0.55 + 0.45 * Math.cos(Math.PI * progress)));
            n.put("train_loss", 1.4 + 2.8 * Math.exp(-5 * progress) + 0.05 * random.nextGaussian());
            if (line % 10 == 9 || step == steps) {
                n.put("val_loss", 1.5 + 2.8 * Math.exp(-5 * progress));
                for (String key : extra) {
                    n.put(key, key.equals("val_bleu") ? 30 * progress : 0.5 + 0.4 * progress);
                }
            }
            lines.add(n);
        }
        return lines;
    }

    private static void assertReadable(LossPlot.Drawing d, String name) throws Exception {
        BufferedImage image = d.image();
        FontMetrics fm = image.createGraphics().getFontMetrics(LossPlot.FONT);
        for (List<LossPlot.Label> axis : d.xLabels()) {
            assertTrue(axis.size() >= 3, name + ": at least 3 step labels: " + texts(axis));
            for (int i = 0; i < axis.size(); i++) {
                LossPlot.Label l = axis.get(i);
                assertEquals(fm.stringWidth(l.text()), l.width(), 1e-9, "measured with the plot's font");
                assertTrue(l.left() >= 0 && l.left() + fm.stringWidth(l.text()) <= image.getWidth(),
                        name + ": " + l.text() + " inside the picture");
                if (i > 0) {
                    LossPlot.Label p = axis.get(i - 1);
                    assertTrue(p.left() + fm.stringWidth(p.text()) < l.left(),
                            name + ": '" + p.text() + "' and '" + l.text() + "' overlap in " + texts(axis));
                }
            }
        }
        for (List<LossPlot.Label> axis : d.yLabels()) {
            assertTrue(axis.size() >= 2, name + ": at least 2 value labels: " + texts(axis));
            for (int i = 1; i < axis.size(); i++) {
                LossPlot.Label lower = axis.get(i - 1);   // ascending values: each label above the last
                LossPlot.Label upper = axis.get(i);
                assertTrue(upper.top() + fm.getAscent() < lower.top(),
                        name + ": '" + lower.text() + "' and '" + upper.text() + "' overlap in " + texts(axis));
                assertTrue(upper.left() >= 0, name + ": " + upper.text() + " inside the picture");
            }
        }
        Files.createDirectories(OUT);
        ImageIO.write(image, "png", OUT.resolve(name + ".png").toFile());
    }

    private static List<String> texts(List<LossPlot.Label> axis) {
        return axis.stream().map(LossPlot.Label::text).toList();
    }

    private static LossPlot.Drawing draw(List<ObjectNode> lines, String title) {
        return LossPlot.draw(LossPlot.panels(lines), title);
    }

    @Test
    void fiftyStepsAreLabelledInPlainNumbers() throws Exception {
        LossPlot.Drawing d = draw(run(50, 1), "50 steps");
        assertReadable(d, "steps-50");
        assertEquals(List.of("0", "5", "10", "15", "20", "25", "30", "35", "40", "45", "50"), texts(d.xLabels().get(0)));
    }

    @Test
    void twoThousandStepsAreLabelledInThousands() throws Exception {
        LossPlot.Drawing d = draw(run(2000, 10), "2,000 steps");
        assertReadable(d, "steps-2000");
        assertTrue(texts(d.xLabels().get(0)).containsAll(List.of("0", "1k", "2k")), texts(d.xLabels().get(0)).toString());
    }

    @Test
    void fiftyThousandStepsAreLabelledInThousandsWithoutOverlap() throws Exception {
        LossPlot.Drawing d = draw(run(50000, 10), "50,000 steps");
        assertReadable(d, "steps-50000");
        assertTrue(texts(d.xLabels().get(0)).containsAll(List.of("0", "10k", "50k")), texts(d.xLabels().get(0)).toString());
        List<String> lr = texts(d.yLabels().get(1));
        assertTrue(lr.contains("0") && lr.stream().anyMatch(s -> s.endsWith("e-4")), "learning rate as 5e-4: " + lr);
    }

    @Test
    void fineTuningAddsAccuracyAndF1PanelAndTranslationBleu() throws Exception {
        LossPlot.Drawing finetune = draw(run(2000, 10, "val_accuracy", "val_macro_f1"), "fine-tuning");
        assertEquals(3, finetune.xLabels().size(), "loss, learning rate, accuracy/F1");
        assertReadable(finetune, "finetune-2000");
        LossPlot.Drawing translation = draw(run(2000, 10, "val_bleu"), "translation");
        assertEquals(List.of("loss (nats/token)", "learning rate", "validation bleu"),
                LossPlot.panels(run(2000, 10, "val_bleu")).stream().map(LossPlot.Panel::title).toList());
        assertReadable(translation, "translation-2000");
    }

    @Test
    void writeStoresAPngOnTheFileSystem() throws Exception {
        Path file = dir.resolve("loss.png");
        LossPlot.write(run(200, 1), new org.apache.hadoop.fs.Path(file.toUri()), new Configuration(), "run");
        BufferedImage read = ImageIO.read(file.toFile());
        assertNotNull(read, "a PNG");
        assertEquals(900, read.getWidth());
    }
}
