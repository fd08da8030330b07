package io.sparkformer.tokenize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hugging Face's {@code TemplateProcessing}: where special tokens go around one sequence (A) or a
 * pair (A, B), and the segment (token type) id of each part. BERT's is {@code [CLS] A [SEP]} and
 * {@code [CLS] A [SEP] B [SEP]} with segment 0 up to the first [SEP] and 1 after it.
 */
record WordPieceTemplate(List<Piece> single, List<Piece> pair) implements Serializable {

    /**
     * One part of a template: a special token ({@code specialId >= 0}) or sequence "A" / "B".
     *
     * @param typeId the segment id every position of this part gets
     */
    record Piece(int specialId, String sequence, int typeId) implements Serializable {
        Piece {
            if ((specialId < 0) == (sequence == null) || (sequence != null && !sequence.matches("[AB]"))) {
                throw new IllegalArgumentException("a template piece is a special token or sequence A or B");
            }
            if (typeId < 0) {
                throw new IllegalArgumentException("a template type_id must be >= 0, got " + typeId);
            }
        }

        static Piece special(int id, int typeId) {
            return new Piece(id, null, typeId);
        }

        static Piece sequence(String which, int typeId) {
            return new Piece(-1, which, typeId);
        }
    }

    WordPieceTemplate {
        single = List.copyOf(single);
        pair = List.copyOf(pair);
        if (!sequences(single).equals("A")) {
            throw new IllegalArgumentException("the single template must hold sequence A once, got " + single);
        }
        if (!sequences(pair).equals("AB")) {
            throw new IllegalArgumentException("the pair template must hold A then B once each, got " + pair);
        }
    }

    /** BERT's template (what Hugging Face's BertProcessing does). */
    static WordPieceTemplate bert(int cls, int sep) {
        return new WordPieceTemplate(
                List.of(Piece.special(cls, 0), Piece.sequence("A", 0), Piece.special(sep, 0)),
                List.of(Piece.special(cls, 0), Piece.sequence("A", 0), Piece.special(sep, 0),
                        Piece.sequence("B", 1), Piece.special(sep, 1)));
    }

    private static String sequences(List<Piece> pieces) {
        StringBuilder out = new StringBuilder();
        for (Piece piece : pieces) {
            if (piece.sequence() != null) {
                out.append(piece.sequence());
            }
        }
        return out.toString();
    }

    List<Integer> specialIds() {
        List<Integer> ids = new ArrayList<>();
        for (List<Piece> pieces : List.of(single, pair)) {
            for (Piece piece : pieces) {
                if (piece.specialId() >= 0) {
                    ids.add(piece.specialId());
                }
            }
        }
        return ids;
    }

    WordPieceTokenizer.Encoding single(int[] a) {
        return apply(single, a, new int[0]);
    }

    WordPieceTokenizer.Encoding pair(int[] a, int[] b) {
        return apply(pair, a, b);
    }

    private static WordPieceTokenizer.Encoding apply(List<Piece> pieces, int[] a, int[] b) {
        int length = 0;
        for (Piece piece : pieces) {
            length += piece.specialId() >= 0 ? 1 : (piece.sequence().equals("A") ? a : b).length;
        }
        int[] ids = new int[length];
        int[] types = new int[length];
        int at = 0;
        for (Piece piece : pieces) {
            int[] part = piece.specialId() >= 0
                    ? new int[] {piece.specialId()}
                    : piece.sequence().equals("A") ? a : b;
            System.arraycopy(part, 0, ids, at, part.length);
            Arrays.fill(types, at, at + part.length, piece.typeId());
            at += part.length;
        }
        return new WordPieceTokenizer.Encoding(ids, types);
    }
}
