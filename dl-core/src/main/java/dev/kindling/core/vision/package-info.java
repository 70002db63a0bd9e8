/**
 * Image augmentation and transforms for image datasets. Imports config and data.
 */
package dev.kindling.core.vision;
