export class StudentError extends Error {
  override name = 'StudentError';
}

/** The student already holds an unrevoked token. */
export class StudentExistsError extends StudentError {
  override name = 'StudentExistsError';
  constructor(readonly student: string) {
    super(`${student} already has a token; revoke it first to issue a new one`);
  }
}

/** A name that cannot be a student folder (see STUDENT_NAME). */
export class InvalidStudentNameError extends StudentError {
  override name = 'InvalidStudentNameError';
  constructor(readonly student: string) {
    super(
      `"${student}" is not a valid student name: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/** A roster file that cannot be read as one student per line. */
export class RosterError extends StudentError {
  override name = 'RosterError';
}
