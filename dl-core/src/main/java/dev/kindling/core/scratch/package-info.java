/**
 * The seed's section 1: a multilayer perceptron written from scratch in plain {@code double[][]}
 * arithmetic with hand-written backprop, a central-difference gradient checker, the synthetic
 * quadrant task and the seed's training run; plus {@link dev.kindling.core.scratch.ScratchMlpGraph},
 * the bridge that copies the weights to and from an equivalent DL4J {@code ComputationGraph}.
 *
 * <p>Only {@code ScratchMlpGraph} touches ND4J; everything else is dependency-free Java so the
 * arithmetic can be read line by line against the seed ({@code seed/pytorch/mlp_numpy.py}).
 */
package dev.kindling.core.scratch;
