//! Reason codes: one per distinct failure the candidate or staff can see, each with a stable code
//! (stored, sent to the UI) and a message in both languages that says what to do next.

macro_rules! reasons {
    ($($variant:ident => $code:literal, $zh:literal, $en:literal;)*) => {
        /// Why a step did not pass. Codes are stable: they are stored and sent upstream.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ReasonCode { $($variant),* }

        impl ReasonCode {
            pub const ALL: &'static [ReasonCode] = &[$(ReasonCode::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $(ReasonCode::$variant => $code),* }
            }

            pub fn message_zh(self) -> &'static str {
                match self { $(ReasonCode::$variant => $zh),* }
            }

            pub fn message_en(self) -> &'static str {
                match self { $(ReasonCode::$variant => $en),* }
            }

            pub fn from_code(code: &str) -> Option<ReasonCode> {
                match code { $($code => Some(ReasonCode::$variant),)* _ => None }
            }
        }
    };
}

reasons! {
    ConsentDeclined => "consent.declined", "您未同意人脸和声音信息处理，请工作人员人工核验证件。", "You declined face and voice processing; staff will check your documents by hand.";
    CardUnreadable => "card.unreadable", "未能读取身份证，请将证件平放在读卡区并保持不动。", "The ID card could not be read; place it flat on the reader and keep it still.";
    CardReadByCamera => "card.read_by_camera", "证件信息由拍照识别，请工作人员对照证件核对。", "The card was read from a photo; staff will check its details against the card.";
    CardCameraUnreadable => "card.camera_unreadable", "未能从摄像头识别身份证，请将证件对准取景框，保持平稳、避免反光，并按提示翻面。", "The card could not be read by the camera; hold it inside the frame, steady and out of glare, and turn it over when asked.";
    CardRemoved => "card.removed", "读卡过程中证件被移开，请重新放置证件。", "The card was moved away during reading; place it on the reader again.";
    ReaderFault => "card.reader_fault", "读卡器故障，请联系工作人员。", "The card reader is not working; please ask the staff.";
    CardBadNumber => "card.bad_number", "证件号码校验未通过，请工作人员核对证件。", "The ID number on the card failed its check; staff will check the card.";
    CardBirthMismatch => "card.birth_mismatch", "证件出生日期与号码不一致，请工作人员核对证件。", "The card's birth date differs from its ID number; staff will check the card.";
    CardSexMismatch => "card.sex_mismatch", "证件性别与号码不一致，请工作人员核对证件。", "The card's sex differs from its ID number; staff will check the card.";
    CardExpired => "card.expired", "证件已过有效期，请使用有效证件或临时身份证。", "The card has expired; use a valid card or a temporary ID card.";
    CardNotYetValid => "card.not_yet_valid", "证件尚未生效，请联系工作人员。", "The card is not valid yet; please ask the staff.";
    CardTypeMismatch => "card.type_mismatch", "证件号码与证件类型不符，请工作人员核对证件。", "The number does not fit the card type; staff will check the card.";
    PhotoUnavailable => "card.photo_unavailable", "无法获取证件照片，将由工作人员人工比对。", "The card photo is not available; staff will compare your face by eye.";
    NoRegistration => "roster.no_registration", "未找到您的报名信息，请确认已在网上报名或咨询工作人员。", "No registration was found for this ID; check your online registration or ask the staff.";
    RegistrationCancelled => "roster.cancelled", "您的报名已被取消，请咨询工作人员。", "Your registration was cancelled; please ask the staff.";
    AlreadyConfirmed => "roster.already_confirmed", "您的报名已完成现场确认，无需重复确认。", "Your registration is already confirmed; there is nothing more to do.";
    OtherSite => "roster.other_site", "您报考的考区不属于本确认点，请前往报名时选择的确认点。", "You registered for another exam district; go to the confirmation site you chose.";
    DocumentTypeDiffers => "roster.document_type", "证件类型与报名信息不一致，请使用报名时的证件。", "This is not the document you registered with; use that document.";
    NameDiffers => "roster.name_differs", "证件姓名与报名信息不一致，请工作人员核对。", "The name on the card differs from your registration; staff will check it.";
    SexDiffers => "roster.sex_differs", "证件性别与报名信息不一致，请工作人员核对。", "The sex on the card differs from your registration; staff will check it.";
    BirthDiffers => "roster.birth_differs", "证件出生日期与报名信息不一致，请工作人员核对。", "The birth date on the card differs from your registration; staff will check it.";
    CaptureFailed => "device.capture_failed", "摄像头或麦克风未能工作，请重试或联系工作人员。", "The camera or microphone did not work; try again or ask the staff.";
    NoFace => "liveness.no_face", "未检测到人脸，请正对摄像头。", "No face was seen; look straight at the camera.";
    MultipleFaces => "liveness.multiple_faces", "画面中有多人，请确保只有您本人在镜头前。", "More than one face was seen; make sure only you are in front of the camera.";
    FaceOutsideGuide => "liveness.outside_guide", "请将面部保持在提示框内。", "Keep your face inside the guide frame.";
    FaceTooFar => "liveness.face_far", "请靠近一些，让面部充满提示框。", "Come closer: your face is too small in the frame.";
    FaceTooNear => "liveness.face_near", "请离镜头稍远一些。", "Move back a little: your face is too close to the camera.";
    NoSpeech => "liveness.no_speech", "未听到朗读声音，请大声读出屏幕上的数字。", "No speech was heard; read the digits on the screen aloud.";
    SpeechTooShort => "liveness.speech_short", "朗读时间过短，请完整读出全部数字。", "The speech was too short; read all the digits.";
    LipSyncLow => "liveness.lip_sync", "口型与声音不同步，请面对镜头清晰朗读。", "Lips and voice did not match; face the camera and read clearly.";
    DigitsWrong => "liveness.digits_wrong", "朗读的数字不正确，请按屏幕显示朗读。", "The digits read were not the ones shown; read the digits on the screen.";
    ChallengeExpired => "liveness.challenge_expired", "数字已过期，请重新开始朗读。", "The digits expired; start again.";
    LivenessUnchecked => "liveness.unchecked", "本机暂不能自动判断朗读活体，请工作人员现场核验。", "This desk cannot check the reading automatically yet; staff will check you in person.";
    FaceMismatch => "match.face_mismatch", "人脸与证件照片不一致，请工作人员核验。", "Your face does not match the card photo; staff will check.";
    FaceUncertain => "match.face_uncertain", "人脸比对结果不确定，请工作人员复核。", "The face comparison was not conclusive; staff will review it.";
    BackgroundNotBlue => "photo.background", "背景不是蓝色，请坐在蓝色背景前。", "The background is not blue; sit in front of the blue screen.";
    HeadSize => "photo.head_size", "头部大小不合适，请前后调整距离。", "Your head is too large or too small; move closer or further away.";
    HeadPosition => "photo.head_position", "头部位置不居中，请对准取景框。", "Your head is not centred; line up with the frame.";
    Blurry => "photo.blurry", "照片模糊，请保持不动。", "The photo is blurred; keep still.";
    Exposure => "photo.exposure", "照片过亮或过暗，请调整光线。", "The photo is too bright or too dark; the lighting needs adjusting.";
    Glare => "photo.glare", "照片有反光，请摘下眼镜或调整角度。", "There is glare in the photo; take off glasses or turn slightly.";
    PhotoFaceMismatch => "photo.face_mismatch", "照片与证件照片不一致，请工作人员核验。", "The photo does not match the card photo; staff will check.";
    PledgeDeclined => "pledge.declined", "未签署诚信承诺，无法完成确认，请联系工作人员。", "The pledge was not accepted; confirmation cannot finish. Please ask the staff.";
    SignatureEmpty => "signature.empty", "未检测到签名，请在签名区书写您的姓名。", "No signature was drawn; write your name in the box.";
    SignatureTooShort => "signature.too_short", "签名过短，请完整书写您的姓名。", "The signature is too short; write your full name.";
    SignatureTrivial => "signature.trivial", "签名无效（点或直线），请书写您的姓名。", "That is a dot or a line, not a signature; write your name.";
    SignatureTooSmall => "signature.too_small", "签名过小，请在签名区内写大一些。", "The signature is too small; write larger in the box.";
    SignatureTooQuick => "signature.too_quick", "签名过快，请正常书写您的姓名。", "The signature was drawn too quickly; write your name normally.";
    NoSerial => "commit.no_serial", "本确认台准考证号段已用完，请联系工作人员。", "This desk has no admission numbers left; please ask the staff.";
    CommitFailed => "commit.failed", "保存失败，请重试或联系工作人员，您的信息未丢失。", "Saving failed; try again or ask the staff. Nothing was lost.";
    Timeout => "step.timeout", "操作超时，请重试。", "The step timed out; try again.";
    TooManyAttempts => "step.too_many_attempts", "多次尝试未通过，请工作人员协助。", "Several attempts did not pass; the staff will help you.";
    StaffRejected => "staff.rejected", "工作人员未予通过，请按工作人员指引办理。", "The staff did not approve this step; follow the staff's directions.";
    SessionCancelled => "session.cancelled", "本次确认已由工作人员取消。", "The staff cancelled this session.";
    Abandoned => "session.abandoned", "长时间无操作，本次确认已结束，信息已清除。", "No activity for a long time; the session ended and the screen was cleared.";
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = HashSet::new();
        for reason in ReasonCode::ALL {
            assert!(
                seen.insert(reason.code()),
                "duplicate code {}",
                reason.code()
            );
            assert_eq!(ReasonCode::from_code(reason.code()), Some(*reason));
            assert!(!reason.message_zh().is_empty() && !reason.message_en().is_empty());
        }
        assert_eq!(ReasonCode::from_code("nope"), None);
    }
}
