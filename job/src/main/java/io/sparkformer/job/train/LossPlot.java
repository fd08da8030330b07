package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code loss.png}, redrawn at each evaluation; never fatal to training. Panels sharing the step axis:
 * train and validation loss; the learning rate; and, when the family reports them, its other
 * evaluation metrics (fine-tuning: validation accuracy and macro F1; translation: BLEU). Drawn
 * with Java2D rather than a chart library so that the tick labels can be laid out to fit: "nice"
 * steps, thousands as 1k/10k, and as many ticks as fit without their labels touching
 * ({@link Ticks}); {@link #draw} returns where every label went, which the test checks.
 */
public final class LossPlot {
    static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TITLE_FONT = FONT.deriveFont(Font.BOLD, 14f);
    private static final int WIDTH = 900;
    private static final int LEFT = 70;
    private static final int RIGHT = 25;
    private static final int TOP = 36;
    private static final int PANEL_TITLE = 20;
    private static final int AXIS_LABELS = 24;
    private static final Color TRAIN = new Color(0x1f77b4);
    private static final Color VALIDATION = new Color(0xff7f0e);
    private static final Color[] OTHERS = {new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd)};

    /** A line (with round markers when {@code markers}) through (x[i], y[i]). */
    record Series(String name, double[] x, double[] y, Color color, boolean markers) {
    }

    /** One panel: a title, its series, its height in pixels. */
    record Panel(String title, List<Series> series, int height) {
    }

    /** A drawn tick label: its text and the pixel box it covers. */
    record Label(String text, double left, double top, double width, double height) {
    }

    /** The picture and, per panel, the tick labels of its x axis and of its y axis. */
    record Drawing(BufferedImage image, List<List<Label>> xLabels, List<List<Label>> yLabels) {
    }

    private LossPlot() {
    }

    public static void write(List<ObjectNode> metrics, Path file, Configuration conf, String title) {
        if (metrics.isEmpty()) {
            return;
        }
        // A plot that cannot be drawn or stored is reported once and drawn again at the next evaluation.
        AuxiliaryWrites.attempt(file, () -> {
            AuxiliaryWrites.replace(file, conf, png(draw(panels(metrics), title).image()));
        });
    }

    static byte[] png(BufferedImage image) throws IOException {
        // ImageIO's default disk cache registers a JVM shutdown hook per stream, which fails once a
        // shutdown has begun: the plot of the round a SIGTERM lets finish must not need one.
        ImageIO.setUseCache(false);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    /** The panels of a run's metrics lines: losses, learning rate, other evaluation metrics if any. */
    static List<Panel> panels(List<ObjectNode> metrics) {
        Map<String, List<double[]>> columns = new LinkedHashMap<>();
        for (ObjectNode n : metrics) {
            double step = n.get("step").asDouble();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNumber() && Double.isFinite(e.getValue().asDouble())) {
                    columns.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                            .add(new double[] {step, e.getValue().asDouble()});
                }
            }
        }
        List<Panel> panels = new ArrayList<>();
        List<Series> losses = new ArrayList<>();
        add(losses, columns, "train_loss", "train", TRAIN, false);
        add(losses, columns, "val_loss", "validation", VALIDATION, true);
        panels.add(new Panel("loss (nats/token)", losses, 300));
        List<Series> lr = new ArrayList<>();
        add(lr, columns, "lr", "learning rate", TRAIN, false);
        panels.add(new Panel("learning rate", lr, 130));
        List<Series> others = new ArrayList<>();
        for (String key : columns.keySet()) {
            if (key.startsWith("val_") && !key.equals("val_loss") && !key.equals("val_perplexity")) {
                add(others, columns, key, key.substring(4).replace('_', ' '), OTHERS[others.size() % OTHERS.length],
                        true);
            }
        }
        if (!others.isEmpty()) {
            panels.add(new Panel("validation " + String.join(", ", others.stream().map(Series::name).toList()),
                    others, 180));
        }
        return panels;
    }

    private static void add(List<Series> to, Map<String, List<double[]>> columns, String key, String name, Color color,
                            boolean markers) {
        List<double[]> points = columns.get(key);
        if (points == null || points.isEmpty()) {
            return;
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        to.add(new Series(name, x, y, color, markers));
    }

    /** Draws {@code panels} under {@code title}, one step axis for all. */
    static Drawing draw(List<Panel> panels, String title) {
        int height = TOP + panels.stream().mapToInt(p -> PANEL_TITLE + p.height() + AXIS_LABELS).sum() + 20;
        BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            g.setColor(Color.BLACK);
            g.setFont(TITLE_FONT);
            g.drawString(title, LEFT, 22);
            double xMin = Double.POSITIVE_INFINITY;
            double xMax = Double.NEGATIVE_INFINITY;
            for (Panel p : panels) {
                for (Series s : p.series()) {
                    for (double x : s.x()) {
                        xMin = Math.min(xMin, x);
                        xMax = Math.max(xMax, x);
                    }
                }
            }
            xMin = Math.min(0, xMin);
            if (!(xMax > xMin)) {
                xMax = xMin + 1;
            }
            List<List<Label>> xLabels = new ArrayList<>();
            List<List<Label>> yLabels = new ArrayList<>();
            int top = TOP;
            for (Panel p : panels) {
                Frame f = new Frame(LEFT, top + PANEL_TITLE, WIDTH - LEFT - RIGHT, p.height(), xMin, xMax, yRange(p));
                panel(g, p, f, xLabels, yLabels);
                top += PANEL_TITLE + p.height() + AXIS_LABELS;
            }
            g.setFont(FONT);
            g.setColor(Color.DARK_GRAY);
            g.drawString("step", WIDTH - RIGHT - g.getFontMetrics().stringWidth("step"), top + 4);
            return new Drawing(image, xLabels, yLabels);
        } finally {
            g.dispose();
        }
    }

    /** A panel's plot area and the value ranges it maps. */
    private record Frame(int left, int top, int width, int height, double xMin, double xMax, double[] y) {
        double px(double x) {
            return left + (x - xMin) / (xMax - xMin) * width;
        }

        double py(double v) {
            return top + height - (v - y[0]) / (y[1] - y[0]) * height;
        }
    }

    private static double[] yRange(Panel p) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : p.series()) {
            for (double v : s.y()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (min > max) {
            return new double[] {0, 1};
        }
        double pad = max > min ? (max - min) * 0.05 : Math.max(Math.abs(max) * 0.1, 1e-3);
        double lo = min - pad;
        return new double[] {min >= 0 && lo < 0 ? 0 : lo, max + pad};
    }

    private static void panel(Graphics2D g, Panel p, Frame f, List<List<Label>> xLabels, List<List<Label>> yLabels) {
        g.setFont(FONT);
        FontMetrics fm = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawString(p.title(), f.left(), f.top() - 6);
        // y ticks: measured along the axis from the bottom, a label's "width" is its height
        List<Double> yTicks = Ticks.fitting(f.y()[0], f.y()[1], Math.max(2, f.height() / 30),
                v -> f.top() + f.height() - f.py(v), s -> fm.getAscent(), -fm.getAscent(),
                f.height() + fm.getAscent());
        double yStep = yTicks.size() > 1 ? yTicks.get(1) - yTicks.get(0) : Ticks.step(f.y()[0], f.y()[1], 1);
        List<Label> ys = new ArrayList<>();
        for (double v : yTicks) {
            String text = Ticks.label(v, yStep);
            double y = f.py(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(f.left(), (int) Math.round(y), f.left() + f.width(), (int) Math.round(y));
            g.setColor(Color.DARK_GRAY);
            int w = fm.stringWidth(text);
            double left = f.left() - 6 - w;
            double labelTop = y - fm.getAscent() / 2.0;
            g.drawString(text, (float) left, (float) (labelTop + fm.getAscent()));
            ys.add(new Label(text, left, labelTop, w, fm.getAscent()));
        }
        yLabels.add(ys);
        List<Double> xTicks = Ticks.fitting(f.xMin(), f.xMax(), Math.max(2, f.width() / 70), f::px,
                s -> fm.stringWidth(s), f.left() - LEFT + 4, f.left() + f.width() + RIGHT - 2);
        double xStep = xTicks.size() > 1 ? xTicks.get(1) - xTicks.get(0) : Ticks.step(f.xMin(), f.xMax(), 1);
        List<Label> xs = new ArrayList<>();
        for (double v : xTicks) {
            String text = Ticks.label(v, xStep);
            double x = f.px(v);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine((int) Math.round(x), f.top(), (int) Math.round(x), f.top() + f.height());
            g.setColor(Color.DARK_GRAY);
            int w = fm.stringWidth(text);
            double labelTop = f.top() + f.height() + 4;
            g.drawString(text, (float) (x - w / 2.0), (float) (labelTop + fm.getAscent()));
            xs.add(new Label(text, x - w / 2.0, labelTop, w, fm.getAscent()));
        }
        xLabels.add(xs);
        g.setColor(Color.GRAY);
        g.drawRect(f.left(), f.top(), f.width(), f.height());
        var clip = g.getClip();
        g.clipRect(f.left(), f.top(), f.width() + 1, f.height() + 1);
        for (Series s : p.series()) {
            series(g, s, f);
        }
        g.setClip(clip);
        if (p.series().size() > 1) {
            legend(g, p, f, fm);
        }
    }

    private static void series(Graphics2D g, Series s, Frame f) {
        g.setColor(s.color());
        g.setStroke(new BasicStroke(s.markers() ? 1.8f : 1.2f));
        Path2D.Double line = new Path2D.Double();
        for (int i = 0; i < s.x().length; i++) {
            double x = f.px(s.x()[i]);
            double y = f.py(s.y()[i]);
            if (i == 0) {
                line.moveTo(x, y);
            } else {
                line.lineTo(x, y);
            }
        }
        g.draw(line);
        if (s.markers() && s.x().length <= 200) {
            for (int i = 0; i < s.x().length; i++) {
                g.fill(new Ellipse2D.Double(f.px(s.x()[i]) - 3, f.py(s.y()[i]) - 3, 6, 6));
            }
        }
        g.setStroke(new BasicStroke(1f));
    }

    private static void legend(Graphics2D g, Panel p, Frame f, FontMetrics fm) {
        int x = f.left() + f.width();
        for (int i = p.series().size() - 1; i >= 0; i--) {
            Series s = p.series().get(i);
            int w = fm.stringWidth(s.name());
            x -= w + 8;
            g.setColor(Color.DARK_GRAY);
            g.drawString(s.name(), x, f.top() - 6);
            x -= 22;
            g.setColor(s.color());
            g.setStroke(new BasicStroke(2f));
            g.drawLine(x, f.top() - 10, x + 16, f.top() - 10);
            g.setStroke(new BasicStroke(1f));
            x -= 10;
        }
    }
}
