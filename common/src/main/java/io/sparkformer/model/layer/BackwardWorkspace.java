package io.sparkformer.model.layer;

import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The workspace a whole-model layer's backward pass allocates its intermediates in. DL4J's BP working
 * memory (shared with the forward pass, sized by its learning over the first cycles) overflowed on
 * every step: each backward op allocated fresh off-heap memory that only a full GC returned, ~12% of a
 * baby-GPT step in allocation and ~13 MB of resident memory more per step until the process limit
 * forced a collection. This one learns the backward's size in the first step and grows if a step ever
 * needs more; nothing allocated in it may outlive the pass (gradients are written into the gradient
 * views). Without workspaces (WorkspaceMode.NONE) none is used.
 */
public final class BackwardWorkspace {
    private static final String ID = "SPARKFORMER_BACKWARD";
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
}
