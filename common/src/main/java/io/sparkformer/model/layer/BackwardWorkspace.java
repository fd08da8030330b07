package io.sparkformer.model.layer;

import io.sparkformer.model.nn.TransformerBlock;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * The workspace a whole-model layer's backward pass allocates its intermediates in. DL4J's BP working
 * memory (shared with the forward pass, sized by its learning over the first cycles) overflowed on
 * every step: each backward op allocated fresh off-heap memory that only a full GC returned, ~12% of a
 * baby-GPT step in allocation and ~13 MB of resident memory more per step until the process limit
 * forced a collection. This one learns the backward's size in the first step and grows if a step ever
 * needs more; nothing allocated in it may outlive the pass (gradients are written into the gradient
 * views). Without workspaces (WorkspaceMode.NONE) none is used.
 *
 * <p>Each Transformer block's backward runs in a second workspace, entered afresh (and so reset) by
 * every block: a block's intermediates are dead once its input gradient is known, and only that
 * gradient ([N, C]) is copied out. The pass then holds one block's intermediates instead of every
 * block's.
 */
public final class BackwardWorkspace {
    private static final String ID = "SPARKFORMER_BACKWARD";
    private static final String BLOCK_ID = "SPARKFORMER_BACKWARD_BLOCK";
    /** Sized by its first cycle, grown when a later one needs more: also the evaluation's workspace. */
    public static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .overallocationLimit(0.1)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .build();

    private BackwardWorkspace() {
    }

    /** Opens the backward workspace, or scopes out of workspaces when DL4J runs without them. */
    public static MemoryWorkspace enter(LayerWorkspaceMgr mgr) {
        if (mgr.isScopedOut(ArrayType.BP_WORKING_MEM) || !mgr.hasConfiguration(ArrayType.BP_WORKING_MEM)) {
            return Nd4j.getMemoryManager().scopeOutOfWorkspaces();
        }
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, ID);
    }

    /**
     * The backward passes of {@code blocks}, last to first, from {@code dy} (the last block's output
     * gradient): each block's in the per-block workspace, which the next block's reuses, with only its
     * input gradient kept, in the backward workspace. Returns the first block's input gradient; blocks
     * with cross-attention add their memory gradient into {@code dMemory}. Outside the backward
     * workspace (no workspaces, evaluation) the passes simply run.
     */
    public static INDArray throughBlocks(List<TransformerBlock> blocks, List<TransformerBlock.Cache> caches,
                                         Map<String, INDArray> p, Map<String, INDArray> g, INDArray dy, int batch,
                                         INDArray dMemory) {
        MemoryWorkspace current = Nd4j.getMemoryManager().getCurrentWorkspace();
        boolean perBlock = current != null && ID.equals(current.getId());
        INDArray dx = dy;
        for (int i = blocks.size() - 1; i >= 0; i--) {
            if (!perBlock) {
                dx = blocks.get(i).backward(p, g, caches.get(i), dx, batch, dMemory);
                continue;
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, BLOCK_ID)) {
                dx = blocks.get(i).backward(p, g, caches.get(i), dx, batch, dMemory).leverageTo(ID);
            }
        }
        return dx;
    }
}
