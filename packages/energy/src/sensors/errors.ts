// Named errors for sensors. Expected conditions (a missing device, a failed transfer, a file that does not
// parse) are classes with the fields that matter and a `cause`; an invalid measurement is not an error but a
// reading with valid: false (sensor.ts).

/** Base class: every sensor failure names the sensor (or bus/path) it concerns. */
export class SensorError extends Error {
  override name = "SensorError";
  constructor(
    message: string,
    readonly sensorId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The configuration asks for something the device cannot do (e.g. a shunt voltage beyond ±320 mV). */
export class SensorConfigError extends SensorError {
  override name = "SensorConfigError";
}

/** The device or its sysfs directory is not there (any more). */
export class SensorNotFoundError extends SensorError {
  override name = "SensorNotFoundError";
  constructor(
    message: string,
    sensorId: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, sensorId, options);
  }
}

/** The I2C bus cannot be used: the i2c-bus native addon is missing, or /dev/i2c-N cannot be opened. */
export class I2cUnavailableError extends SensorError {
  override name = "I2cUnavailableError";
  constructor(
    message: string,
    readonly busNumber: number,
    options?: { cause?: unknown },
  ) {
    super(message, `i2c-${busNumber}`, options);
  }
}

/** An I2C transfer failed, after retries when the error looked transient. `code` is the errno name. */
export class I2cTransferError extends SensorError {
  override name = "I2cTransferError";
  constructor(
    message: string,
    sensorId: string,
    readonly address: number,
    readonly register: number,
    readonly code: string | undefined,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, sensorId, options);
  }
}

/** The device did not finish a conversion within the time its configuration allows. */
export class SensorTimeoutError extends SensorError {
  override name = "SensorTimeoutError";
  constructor(
    message: string,
    sensorId: string,
    readonly waitedMs: number,
  ) {
    super(message, sensorId);
  }
}

/** A sysfs attribute could not be read or does not hold what its ABI promises. */
export class SysfsReadError extends SensorError {
  override name = "SysfsReadError";
  constructor(
    message: string,
    sensorId: string,
    readonly path: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, sensorId, options);
  }
}
