"""mnistnn: a neural network that reads handwritten digits, from first principles in NumPy.

The package behind the notebook series: every function the notebooks rely on lives here, tested.
Shapes follow one column per example: X (784, m), W1 (h, 784), Z1 = W1 @ X + b1.
"""

from ._threads import fit_blas_threads as _fit_blas_threads
from .data import (
    CHECKSUMS,
    DataFormatError,
    Dataset,
    flatten_images,
    load_dataset,
    load_mnist,
    read_kaggle_csv,
    scale_pixels,
    shuffle,
    train_val_split,
    write_kaggle_csv,
)
from .deep import predict
from .gradcheck import gradient_check, numerical_gradient, relative_error
from .metrics import accuracy, confusion_matrix, precision_recall
from .model import (
    Params,
    backward,
    cross_entropy,
    forward,
    init_params,
    log_softmax,
    one_hot,
    relu,
    relu_grad,
    softmax,
)
from .params_io import load_params, save_params
from .train import DeadNetworkError, DivergenceError, TrainingError, adam_step, gradient_descent, sgd, sgd_step

__version__ = "0.1.0"

# BLAS threads for the CPUs this process may use (its affinity and CPU quota), unless the user set them.
_fit_blas_threads()

__all__ = [
    "CHECKSUMS",
    "DataFormatError",
    "Dataset",
    "DeadNetworkError",
    "DivergenceError",
    "Params",
    "TrainingError",
    "accuracy",
    "adam_step",
    "backward",
    "confusion_matrix",
    "cross_entropy",
    "flatten_images",
    "forward",
    "gradient_check",
    "gradient_descent",
    "init_params",
    "load_dataset",
    "load_mnist",
    "load_params",
    "log_softmax",
    "numerical_gradient",
    "one_hot",
    "precision_recall",
    "predict",
    "read_kaggle_csv",
    "relative_error",
    "relu",
    "relu_grad",
    "save_params",
    "scale_pixels",
    "sgd",
    "sgd_step",
    "shuffle",
    "softmax",
    "train_val_split",
    "write_kaggle_csv",
]
