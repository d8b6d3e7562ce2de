//! Finding, checking and loading the dlib models; the embedder's thread model.

use zk_vision::{
    DlibEmbedder, FaceEmbedder, FaceVerifier, ModelPaths, VerifierConfig, VisionError,
    LANDMARK_MODEL, RESNET_MODEL,
};

use crate::support;

#[test]
fn missing_models_name_the_file_and_the_script() {
    let empty = tempfile::tempdir().unwrap();
    let error = DlibEmbedder::open(&ModelPaths::in_dir(empty.path())).unwrap_err();
    assert_eq!(
        error,
        VisionError::ModelMissing {
            path: empty.path().join(LANDMARK_MODEL.file_name)
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("shape_predictor_5_face_landmarks.dat"),
        "{message}"
    );
    assert!(message.contains("scripts/fetch-models.sh"), "{message}");
    assert!(message.contains("ZK_MODELS_DIR"), "{message}");
}

#[test]
fn damaged_or_swapped_models_are_refused_before_dlib_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let real = ModelPaths::from_env().unwrap();
    real.verify()
        .unwrap_or_else(|error| panic!("{error} (run scripts/fetch-models.sh)"));
    std::fs::copy(&real.landmarks, dir.path().join(LANDMARK_MODEL.file_name)).unwrap();
    // A truncated ResNet file.
    let resnet = std::fs::read(&real.resnet).unwrap();
    std::fs::write(dir.path().join(RESNET_MODEL.file_name), &resnet[..1000]).unwrap();
    let error = DlibEmbedder::open(&ModelPaths::in_dir(dir.path())).unwrap_err();
    assert!(
        matches!(&error, VisionError::ModelInvalid { path, .. } if path.ends_with(RESNET_MODEL.file_name)),
        "{error:?}"
    );
    assert!(error.to_string().contains("scripts/fetch-models.sh"));
    // Right size, wrong content (the landmark model renamed is caught by size; flip a byte).
    let mut flipped = resnet;
    flipped[5000] ^= 1;
    std::fs::write(dir.path().join(RESNET_MODEL.file_name), &flipped).unwrap();
    let error = DlibEmbedder::open(&ModelPaths::in_dir(dir.path())).unwrap_err();
    assert!(error.to_string().contains("sha256"), "{error}");
}

#[test]
fn the_embedder_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<DlibEmbedder>();
    send_sync::<FaceVerifier>();

    let verifier = support::verifier();
    let image = &support::images()["Rose_Leslie/2.jpg"];
    let embedder: &dyn FaceEmbedder = verifier.embedder();
    let face = verifier.detector().detect(image).unwrap()[0];
    let expected = embedder.embed(image, &[face]).unwrap()[0].template.clone();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let expected = &expected;
            scope.spawn(move || {
                for _ in 0..3 {
                    let embedded = embedder.embed(image, &[face]).unwrap();
                    assert_eq!(&embedded[0].template, expected);
                }
            });
        }
    });
}

#[test]
fn a_second_embedder_loads_and_drops_cleanly() {
    let paths = ModelPaths::from_env().unwrap();
    let verifier = FaceVerifier::open(VerifierConfig::default(), &paths)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        verifier.model_version(),
        "seeta-fd-frontal-v1.0+dlib-5pt-refined+resnet-v1"
    );
    let image = &support::images()["Barack_Obama/1.jpg"];
    let template = verifier.single_face(image, 60.0).unwrap().template;
    let shared = support::verifier()
        .single_face(image, 60.0)
        .unwrap()
        .template;
    assert_eq!(template, shared);
    drop(verifier);
}
