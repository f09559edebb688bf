/**
 * Submission format, version 1 (see the design's "Submission format").
 * PyTorch's layer names and semantics; optional fields take PyTorch's defaults.
 */

/** An int, or [height, width]. */
export type Size2d = number | [number, number];
/** PyTorch's Conv2d padding: int, [h, w], or the strings PyTorch accepts. */
export type ConvPadding = Size2d | 'same' | 'valid';

export interface Conv2dLayer {
  type: 'Conv2d';
  in_channels?: number;
  out_channels: number;
  kernel_size: Size2d;
  stride?: Size2d;
  padding?: ConvPadding;
  dilation?: Size2d;
  groups?: number;
  bias?: boolean;
}

export interface LinearLayer {
  type: 'Linear';
  in_features?: number;
  out_features: number;
  bias?: boolean;
}

export interface ActivationLayer {
  type: 'ReLU' | 'ELU' | 'GELU' | 'SiLU' | 'Sigmoid' | 'Tanh';
}

export interface LeakyReLULayer {
  type: 'LeakyReLU';
  /** Default 0.01, as in PyTorch. */
  negative_slope?: number;
}

export interface Pool2dLayer {
  type: 'MaxPool2d' | 'AvgPool2d';
  kernel_size: Size2d;
  /** Defaults to kernel_size. */
  stride?: Size2d;
  padding?: Size2d;
}

export interface AdaptiveAvgPool2dLayer {
  type: 'AdaptiveAvgPool2d';
  output_size: Size2d;
}

export interface FlattenLayer {
  type: 'Flatten';
}

export interface BatchNormLayer {
  type: 'BatchNorm2d' | 'BatchNorm1d';
  num_features?: number;
}

export interface DropoutLayer {
  type: 'Dropout' | 'Dropout2d';
  /** Default 0.5, in [0, 1). */
  p?: number;
}

/** output = body(x) + shortcut(x); the shortcut is the identity when absent. */
export interface ResidualLayer {
  type: 'Residual';
  body: Layer[];
  shortcut?: Layer[];
}

export type Layer =
  | Conv2dLayer
  | LinearLayer
  | ActivationLayer
  | LeakyReLULayer
  | Pool2dLayer
  | AdaptiveAvgPool2dLayer
  | FlattenLayer
  | BatchNormLayer
  | DropoutLayer
  | ResidualLayer;

export type LayerType = Layer['type'];

export type OptimizerName = 'adam' | 'adamw' | 'sgd';

/** What a student may set; everything else (epochs) is the rubric's. */
export interface TrainingSettings {
  optimizer?: OptimizerName;
  lr?: number;
  batch_size?: number;
  momentum?: number;
  weight_decay?: number;
}

/** What the student claims for an experiment. */
export interface ReportedFigures {
  params?: number;
  /** Percent, as the course notebook prints it. */
  test_accuracy?: number;
}

export interface Experiment {
  name: string;
  layers: Layer[];
  training?: TrainingSettings;
  reported?: ReportedFigures;
}

export interface Submission {
  /** Lets editors autocomplete against the published schema. */
  $schema?: string;
  assignment: string;
  experiments: Experiment[];
  /** Name of the experiment graded for 3.1 and 3.3. */
  final: string;
}

/** A tensor shape without the batch dimension: [C, H, W] or [features]. */
export type Shape = number[];

/** One problem with a submission, located by a JSON pointer into the file ("" is the root). */
export interface SpecError {
  path: string;
  message: string;
}

/** One row of `autograder summary`: a layer, or a Residual block's sum. */
export interface LayerSummary {
  /** JSON pointer of the layer in the submission, e.g. /experiments/0/layers/3. */
  path: string;
  type: LayerType;
  /** Nesting depth: 0 for top-level layers, 1 inside a Residual, ... */
  depth: number;
  outputShape: Shape;
  params: number;
  macs: number;
}

/** Static figures of one experiment: PyTorch's parameter count, multiply-accumulates per image. */
export interface ExperimentAnalysis {
  name: string;
  params: number;
  macs: number;
  outputShape: Shape;
  layers: LayerSummary[];
}

export type ValidationResult =
  | {
      valid: true;
      submission: Submission;
      errors: [];
      experiments: ExperimentAnalysis[];
    }
  | {
      valid: false;
      errors: SpecError[];
      /** The experiments that could still be analysed, for partial feedback. */
      experiments: ExperimentAnalysis[];
    };
