package io.sparkformer.job.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** {@code loss.png}: train and validation loss against step, redrawn at each evaluation; never fatal to training. */
public final class LossPlot {
    private LossPlot() {
    }

    public static void write(List<ObjectNode> metrics, Path file, Configuration conf, String title) {
        List<Double> steps = new ArrayList<>();
        List<Double> train = new ArrayList<>();
        List<Double> valSteps = new ArrayList<>();
        List<Double> val = new ArrayList<>();
        for (ObjectNode n : metrics) {
            steps.add(n.get("step").asDouble());
            train.add(n.get("train_loss").asDouble());
            if (n.has("val_loss")) {
                valSteps.add(n.get("step").asDouble());
                val.add(n.get("val_loss").asDouble());
            }
        }
        if (steps.isEmpty()) {
            return;
        }
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title)
                .xAxisTitle("step").yAxisTitle("loss (nats/token)").build();
        chart.addSeries("train", steps, train).setMarker(SeriesMarkers.NONE);
        if (!val.isEmpty()) {
            chart.addSeries("validation", valSteps, val).setMarker(SeriesMarkers.CIRCLE);
        }
        // ImageIO's default disk cache registers a JVM shutdown hook per stream, which fails once a
        // shutdown has begun: the plot of the round a SIGTERM lets finish must not need one.
        javax.imageio.ImageIO.setUseCache(false);
        byte[] png;
        try {
            png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot draw " + file + ": " + e.getMessage(), e);
        }
        // A plot that cannot be stored is reported once and drawn again at the next evaluation.
        AuxiliaryWrites.attempt(file, () -> {
            FileSystem fs = file.getFileSystem(conf);
            Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
            try (var out = fs.create(tmp, true)) {
                out.write(png);
            }
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) {
                throw new IOException("rename " + tmp + " -> " + file + " failed");
            }
        });
    }
}
