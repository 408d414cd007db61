//! End-to-end benchmark: decode → preprocess → encoders → head, on a folder of photos.
