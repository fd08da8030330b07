package io.sparkformer.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GPT-2's bytes_to_unicode, which names byte-level BPE tokens in tokenizer.json. */
class BpeByteLevelTest {

    @Test
    void everyByteHasItsOwnPrintableSymbol() {
        Set<Character> symbols = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char symbol = ByteLevel.symbol(b);
            symbols.add(symbol);
            assertFalse(Character.isWhitespace(symbol) || Character.isISOControl(symbol), "byte " + b);
        }
        assertEquals(256, symbols.size());
    }

    @Test
    void printableAsciiMapsToItself() {
        assertEquals('A', ByteLevel.symbol('A'));
        assertEquals('!', ByteLevel.symbol('!'));
        assertEquals('~', ByteLevel.symbol('~'));
    }

    @Test
    void nonPrintableBytesMapFromU0100InByteOrder() {
        assertEquals('\u0100', ByteLevel.symbol(0x00));
        assertEquals('\u010A', ByteLevel.symbol('\n')); // 'Ċ'
        assertEquals('\u0120', ByteLevel.symbol(' ')); // 'Ġ'
        assertEquals('\u0121', ByteLevel.symbol(0x7F));
        assertEquals('\u0143', ByteLevel.symbol(0xAD)); // the 68th and last
    }

    @Test
    void byteOfInvertsSymbol() {
        for (int b = 0; b < 256; b++) {
            assertEquals(b, ByteLevel.byteOf(ByteLevel.symbol(b)));
        }
        assertEquals(-1, ByteLevel.byteOf(' '));
        assertEquals(-1, ByteLevel.byteOf('\u0144'));
    }
}
