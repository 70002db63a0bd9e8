/**
 * Storage: the file-system interface jobs write through, run directories published in one rename, input errors. Imports only config.
 */
package dev.kindling.core.io;
