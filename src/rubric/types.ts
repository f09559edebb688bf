import type { OptimizerName } from '../spec/types.js';

export type TaskNumber = '3.1' | '3.2' | '3.3' | '4.1';

export interface NumericBound {
  min: number;
  max: number;
}

/** rubric/rubric.json: the assignment as data. Staff change grading by editing it. */
export interface Rubric {
  id: string;
  version: string;
  title: string;
  tasks: RubricTask[];
  baseline: {
    name: string;
    /** File in rubric/ holding the baseline as a submission. */
    spec: string;
    params: number;
    /** Test accuracy (percent) used when no calibration exists for the backend and data. */
    reference_accuracy: number;
  };
  budget: {
    /** A final network must have strictly fewer parameters than this. */
    max_params_exclusive: number;
  };
  training: {
    epochs: number;
    defaults: {
      optimizer: OptimizerName;
      lr: number;
      batch_size: number;
      momentum: number;
      weight_decay: number;
    };
    optimizers: OptimizerName[];
    bounds: {
      lr: NumericBound;
      batch_size: NumericBound;
      momentum: NumericBound;
      weight_decay: NumericBound;
    };
    pixel_range: [number, number];
    seed: number;
    time_limit_seconds_per_experiment: number;
  };
  limits: {
    max_file_bytes: number;
    max_experiments: number;
    /** Layers in one experiment, counting those inside Residual blocks. */
    max_layers: number;
    /** Residual nesting depth. */
    max_depth: number;
    max_channels: number;
    max_features: number;
    max_kernel_size: number;
    max_name_length: number;
    max_macs_per_image: number;
  };
}

/** Per-task settings; the fields beyond number/name/points belong to that task's check. */
export interface RubricTask {
  number: TaskNumber;
  name: string;
  points: number;
  min_conv_layers?: number;
  partial_single_conv?: number;
  comparable_within_pp?: number;
  partial_within_pp?: number;
  partial_points?: number;
  min_experiments?: number;
  reported_accuracy_within_pp?: number;
}
