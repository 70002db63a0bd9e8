/**
 * Learning-rate schedules as pure functions with DL4J ISchedule adapters, and {@link dev.kindling.core.schedule.ScheduleConfig}. Imports config only.
 */
package dev.kindling.core.schedule;
